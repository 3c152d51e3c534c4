//! borderline: maps where personal data is stored and flows, and flags GDPR Chapter V transfers without a safeguard.

pub mod date;
pub mod rules;
