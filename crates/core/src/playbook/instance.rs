//! Which playbook a value was derived with: a number no other playbook built in this process has, so a state can
//! keep a score it computed with one playbook and know it is that playbook asking again (the fit memo,
//! `state::fit_memo`). Identity, not content: two playbooks with equal rules still differ, and equality of
//! playbooks ignores it.

use core::sync::atomic::{AtomicU64, Ordering};

use super::compiled::{Compiled, In, Out};

/// The next instance number. Relaxed: only uniqueness matters, and a fetch_add is unique at any ordering.
static NEXT: AtomicU64 = AtomicU64::new(1);

/// A playbook's instance number; clones share it (same rules).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Instance(pub(crate) u64);

impl Instance {
    pub(crate) fn fresh() -> Instance {
        Instance(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Identity is not content: playbooks read back from their compiled form equal the ones written.
impl PartialEq for Instance {
    fn eq(&self, _: &Instance) -> bool {
        true
    }
}

/// Not in the compiled form: a playbook read from bytes is a new instance.
impl Compiled for Instance {
    fn put(&self, _: &mut Out) {}
    fn get(_: &mut In<'_>) -> Self {
        Instance::fresh()
    }
}

#[cfg(test)]
mod tests {
    use super::Instance;

    #[test]
    fn every_instance_is_new_and_equal_as_content() {
        let (a, b) = (Instance::fresh(), Instance::fresh());
        assert_ne!(a.0, b.0);
        assert_eq!(a, b, "equality of playbooks compares rules, not instances");
    }
}
