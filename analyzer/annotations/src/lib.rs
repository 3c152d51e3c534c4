//! Code annotations for borderline: attributes that compile to nothing and tell the analyzer
//! where personal data is and where it flows, and a derive that lists a type's personal data.
//!
//! Add it under the name `borderline`, so the attributes read as they do in borderline's docs:
//!
//! ```toml
//! [dependencies]
//! borderline = { package = "borderline-annotations", version = "0.1" }
//! ```
//!
//! ```text
//! #[derive(borderline::PersonalData)]
//! struct Customer {
//!     #[pii("user.contact.email")]
//!     email: String,
//! }
//!
//! #[borderline::flow(to = "payments-psp", data = ["user.financial.credit_card"], purpose = "payment")]
//! async fn charge(customer: &Customer) {}
//! ```
//!
//! borderline reads these with a parser; it never compiles your code. The macros here only make
//! the annotations legal Rust: `flow`, `store`, `pii` and `personal_data` return their item
//! unchanged, and `#[derive(PersonalData)]` implements [`PersonalData`] (useful at run time, for
//! example to redact the listed fields from logs).

// The derive refers to `::borderline::PersonalData`, the name users give this crate; the unit
// tests derive it here, so the crate gives itself that name when testing.
#[cfg(test)]
extern crate self as borderline;

pub use borderline_annotations_derive::{PersonalData, flow, personal_data, pii, store};

/// A type whose fields carry personal data, as declared with `#[pii(...)]`.
pub trait PersonalData {
    /// `(field, data category)` pairs, in declaration order; a field with several categories
    /// appears once per category.
    const PERSONAL_DATA_FIELDS: &'static [(&'static str, &'static str)];

    /// The data categories of one field (empty when it carries none).
    fn personal_data_categories(field: &str) -> Vec<&'static str> {
        Self::PERSONAL_DATA_FIELDS
            .iter()
            .filter(|(name, _)| *name == field)
            .map(|(_, category)| *category)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::PersonalData;

    #[allow(dead_code)]
    #[derive(crate::PersonalData)]
    struct Customer<T> {
        #[pii("user.contact.email")]
        email: String,
        #[pii(category = "user.financial.credit_card")]
        card: String,
        #[personal_data("user.name.first", "user.name")]
        name: T,
        id: u64,
    }

    #[crate::flow(to = "payments-psp", data = ["user.financial.credit_card"])]
    fn charge() -> u8 {
        7
    }

    #[crate::store(id = "orders-db", location = "aws:eu-central-1")]
    struct OrdersRepo;

    #[test]
    fn derive_lists_fields_and_attributes_are_inert() {
        assert_eq!(
            <Customer<String> as PersonalData>::PERSONAL_DATA_FIELDS,
            &[
                ("email", "user.contact.email"),
                ("card", "user.financial.credit_card"),
                ("name", "user.name.first"),
                ("name", "user.name"),
            ]
        );
        assert_eq!(
            Customer::<u8>::personal_data_categories("id"),
            Vec::<&str>::new()
        );
        assert_eq!(charge(), 7);
        let _ = OrdersRepo;
    }
}
