//! Which source files are not read for outbound calls at all: examples and benchmarks (how a
//! library is used, not the service itself) and vendored dependencies (somebody else's code).
//! Tests are read: their flows carry the class `test` from [`crate::extract::environment`], so
//! they are notes unless `[scan] include = ["tests"]` judges them.

/// Directory names whose code shows how to use something rather than running it.
const EXAMPLE_DIRECTORIES: [&str; 3] = ["examples", "example", "benches"];

/// Directory names that hold code vendored from elsewhere.
const VENDORED_DIRECTORIES: [&str; 8] = [
    "node_modules",
    "vendor",
    "third_party",
    "third-party",
    ".venv",
    "venv",
    "site-packages",
    "bower_components",
];

/// True for example or benchmark code, which is not read for outbound calls.
pub(crate) fn is_example_path(path: &str) -> bool {
    let mut parts = path.split('/');
    parts.next_back();
    parts.any(|part| EXAMPLE_DIRECTORIES.contains(&part))
}

/// True for vendored or minified code.
pub(crate) fn is_vendored_path(path: &str) -> bool {
    path.split('/')
        .any(|part| VENDORED_DIRECTORIES.contains(&part))
        || path.ends_with(".min.js")
        || path.ends_with(".bundle.js")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendored_and_example_code_by_path() {
        for path in [
            "web/node_modules/axios/index.js",
            "vendor/github.com/x/y.go",
            "third_party/z.py",
            ".venv/lib/python3.12/site-packages/requests/api.py",
            "static/app.min.js",
        ] {
            assert!(is_vendored_path(path), "{path}");
        }
        assert!(!is_vendored_path("src/vendors.py"));
        assert!(is_example_path("examples/basic.rs"));
        assert!(is_example_path("crates/x/benches/speed.rs"));
        assert!(!is_example_path("src/examples.rs"));
    }
}
