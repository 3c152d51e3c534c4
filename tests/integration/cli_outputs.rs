//! cli outputs
