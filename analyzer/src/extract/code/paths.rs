//! Which source files are not the service's own running code: tests, examples, fixtures and
//! vendored dependencies. A URL in a test is a mock and a URL in `node_modules/` is somebody
//! else's code, so neither is a flow of the service.

/// Directory names whose files are tests, examples, fixtures or benchmarks.
const TEST_DIRECTORIES: [&str; 14] = [
    "tests",
    "test",
    "__tests__",
    "spec",
    "specs",
    "testdata",
    "fixtures",
    "examples",
    "example",
    "e2e",
    "cypress",
    "benches",
    "__mocks__",
    "integration-tests",
];

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

/// True for a test, example, fixture or benchmark file, by its directories or its name.
pub(crate) fn is_test_path(path: &str) -> bool {
    let mut parts = path.split('/');
    let name = parts.next_back().unwrap_or("");
    if parts.any(|part| TEST_DIRECTORIES.contains(&part)) {
        return true;
    }
    let stem = name.split('.').next().unwrap_or(name);
    let lower = name.to_ascii_lowercase();
    // `checkout.spec.ts`, `api.test.js`, `client.spec.tsx`.
    lower.contains(".spec.")
        || lower.contains(".test.")
        || lower == "conftest.py"
        || lower.ends_with("_test.go")
        || lower.ends_with("_test.py")
        || (lower.starts_with("test_") && lower.ends_with(".py"))
        || lower.ends_with("_spec.rb")
        || lower.ends_with("_test.rb")
        // `CheckoutTest.java`, `CartServiceTests.cs`, `ApiTest.kt`: the suffix is capitalised.
        || stem.ends_with("Test")
        || stem.ends_with("Tests")
        || stem.ends_with("IT")
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
    fn tests_and_vendored_code_by_path() {
        for path in [
            "tests/api.py",
            "src/test/java/shop/CartTest.java",
            "web/__tests__/cart.js",
            "spec/client_spec.rb",
            "pkg/client_test.go",
            "src/cart.spec.ts",
            "src/cart.test.js",
            "app/test_views.py",
            "app/views_test.py",
            "conftest.py",
            "Cart/CartServiceTests.cs",
            "src/ApiTest.kt",
            "internal/testdata/a.go",
            "examples/basic.rs",
            "e2e/login.ts",
            "cypress/support/commands.ts",
        ] {
            assert!(is_test_path(path), "{path}");
        }
        for path in [
            "src/contest.py",
            "src/latest.go",
            "src/Attestation.java",
            "app/testimonials.py",
            "src/spectrum.ts",
        ] {
            assert!(!is_test_path(path), "{path}");
        }
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
    }
}
