//! Unit tests of the Terraform extractor.
