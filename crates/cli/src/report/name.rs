//! The serde name of a core enum (`soft_reactivation`, `mql`, `deferred`), as every output prints it.
//!
//! Read straight from the derive's unit-variant call, not through a `serde_json::Value`: the outputs ask for
//! about ten names per contact, ten million at 1M contacts, and building a JSON value each time was a visible
//! part of writing `plan.json` and `plan.csv`.

use std::borrow::Cow;
use std::fmt;

use serde::ser::{Impossible, Serialize, Serializer};

/// The name `value` serializes to when it serializes to a string (an enum's unit variant, borrowed: no
/// allocation; or text); empty otherwise, as a JSON value that is not a string would give.
pub fn name<T: Serialize>(value: &T) -> Cow<'static, str> {
    value.serialize(Name).unwrap_or_default()
}

/// A serializer that accepts only a string or a unit variant.
struct Name;

/// Anything else.
#[derive(Debug)]
struct NotText;

impl fmt::Display for NotText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a string or a unit variant")
    }
}

impl std::error::Error for NotText {}

impl serde::ser::Error for NotText {
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotText
    }
}

/// The methods that refuse, all alike.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $out:ty;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<$out, NotText> {
            Err(NotText)
        })*
    };
}

impl Serializer for Name {
    type Ok = Cow<'static, str>;
    type Error = NotText;
    type SerializeSeq = Impossible<Cow<'static, str>, NotText>;
    type SerializeTuple = Impossible<Cow<'static, str>, NotText>;
    type SerializeTupleStruct = Impossible<Cow<'static, str>, NotText>;
    type SerializeTupleVariant = Impossible<Cow<'static, str>, NotText>;
    type SerializeMap = Impossible<Cow<'static, str>, NotText>;
    type SerializeStruct = Impossible<Cow<'static, str>, NotText>;
    type SerializeStructVariant = Impossible<Cow<'static, str>, NotText>;

    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<Self::Ok, NotText> {
        Ok(Cow::Borrowed(variant))
    }

    fn serialize_str(self, v: &str) -> Result<Self::Ok, NotText> {
        Ok(Cow::Owned(v.to_owned()))
    }

    fn serialize_char(self, v: char) -> Result<Self::Ok, NotText> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result<Self::Ok, NotText> {
        value.serialize(self)
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Self::Ok, NotText> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Self::Ok, NotText> {
        Err(NotText)
    }

    refuse! {
        serialize_bool(bool) -> Self::Ok;
        serialize_i8(i8) -> Self::Ok;
        serialize_i16(i16) -> Self::Ok;
        serialize_i32(i32) -> Self::Ok;
        serialize_i64(i64) -> Self::Ok;
        serialize_u8(u8) -> Self::Ok;
        serialize_u16(u16) -> Self::Ok;
        serialize_u32(u32) -> Self::Ok;
        serialize_u64(u64) -> Self::Ok;
        serialize_f32(f32) -> Self::Ok;
        serialize_f64(f64) -> Self::Ok;
        serialize_bytes(&[u8]) -> Self::Ok;
        serialize_none() -> Self::Ok;
        serialize_unit() -> Self::Ok;
        serialize_unit_struct(&'static str) -> Self::Ok;
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct(&'static str, usize) -> Self::SerializeStruct;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }
}

#[cfg(test)]
mod tests {
    use super::name;
    use rekindle_core::lifecycle::Phase;
    use rekindle_core::{Readiness, Stage};

    #[test]
    fn names_are_those_json_gives() {
        let json = |v: serde_json::Value| v.as_str().map(String::from).unwrap_or_default();
        for phase in [Phase::Active, Phase::SoftReactivation, Phase::BreakUp, Phase::Erased] {
            assert_eq!(name(&phase), json(serde_json::to_value(phase).unwrap_or_default()));
        }
        assert_eq!(name(&Stage::Mql), "mql");
        assert_eq!(name(&Readiness::Warm), "warm");
        assert_eq!(name(&"text"), "text");
        assert_eq!(name(&Some(Stage::Sql)), "sql");
        assert_eq!(name(&3u8), "", "not text: empty, as before");
        assert_eq!(name(&None::<Stage>), "");
        assert_eq!(name(&vec![Stage::Lead]), "");
    }
}
