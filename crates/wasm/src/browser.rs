//! Browser-only code (the `browser` feature): never compiled into the edge build.

mod storage;
