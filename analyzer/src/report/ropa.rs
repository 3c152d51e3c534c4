//! The transfer register.
