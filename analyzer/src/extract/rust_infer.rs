//! Inference from unannotated code: field names that mean personal data. Everything found here is
//! marked inferred: a guess to confirm, never an error alone. (URLs passed to clients are found by
//! `extract::code` for every language, Rust included.)

/// Derives that mark a struct as data that is stored or sent: serde, sqlx, diesel.
pub(crate) const DATA_DERIVES: [&str; 8] = [
    "Serialize",
    "Deserialize",
    "FromRow",
    "Queryable",
    "QueryableByName",
    "Insertable",
    "Selectable",
    "AsChangeset",
];

/// Field names (lower case, `_`-separated) and the Fides category each one means. A field matches
/// a name exactly or ends with `_name` (`billing_address`, `customer_email`).
const FIELD_CATEGORIES: &[(&str, &str)] = &[
    ("email", "user.contact.email"),
    ("email_address", "user.contact.email"),
    ("e_mail", "user.contact.email"),
    ("phone", "user.contact.phone_number"),
    ("phone_number", "user.contact.phone_number"),
    ("mobile", "user.contact.phone_number"),
    ("mobile_number", "user.contact.phone_number"),
    ("telephone", "user.contact.phone_number"),
    ("fax", "user.contact.fax_number"),
    ("first_name", "user.name.first"),
    ("given_name", "user.name.first"),
    ("firstname", "user.name.first"),
    ("last_name", "user.name.last"),
    ("family_name", "user.name.last"),
    ("surname", "user.name.last"),
    ("lastname", "user.name.last"),
    ("full_name", "user.name"),
    ("display_name", "user.name"),
    ("address", "user.contact.address"),
    ("street", "user.contact.address.street"),
    ("street_address", "user.contact.address.street"),
    ("postal_code", "user.contact.address.postal_code"),
    ("postcode", "user.contact.address.postal_code"),
    ("zip_code", "user.contact.address.postal_code"),
    ("zipcode", "user.contact.address.postal_code"),
    ("city", "user.contact.address.city"),
    ("birth_date", "user.demographic.date_of_birth"),
    ("date_of_birth", "user.demographic.date_of_birth"),
    ("birthday", "user.demographic.date_of_birth"),
    ("dob", "user.demographic.date_of_birth"),
    ("gender", "user.demographic.gender"),
    ("iban", "user.financial.bank_account"),
    ("bank_account", "user.financial.bank_account"),
    ("account_number", "user.financial.bank_account"),
    ("card_number", "user.financial.credit_card"),
    ("credit_card", "user.financial.credit_card"),
    ("ip_address", "user.device.ip_address"),
    ("ip", "user.device.ip_address"),
    ("device_id", "user.device.device_id"),
    ("cookie_id", "user.device.cookie_id"),
    ("passport_number", "user.government_id.passport_number"),
    (
        "national_id",
        "user.government_id.national_identification_number",
    ),
    ("ssn", "user.government_id.national_identification_number"),
    (
        "social_security_number",
        "user.government_id.national_identification_number",
    ),
    (
        "tax_id",
        "user.government_id.national_identification_number",
    ),
    (
        "drivers_license",
        "user.government_id.drivers_license_number",
    ),
    ("password", "user.authorization.password"),
    ("password_hash", "user.authorization.password"),
    ("latitude", "user.location.precise"),
    ("longitude", "user.location.precise"),
    ("geolocation", "user.location.precise"),
    ("username", "user.account.username"),
];

/// The category a field name means, if it plainly means personal data.
pub(crate) fn category_for_field(name: &str) -> Option<&'static str> {
    let name = name.trim_start_matches("r#").to_ascii_lowercase();
    if let Some((_, category)) = FIELD_CATEGORIES.iter().find(|(field, _)| *field == name) {
        return Some(category);
    }
    // `billing_address`, `customer_email`: a known name after a qualifier. Single short words
    // (`ip`, `dob`, `city`) only match exactly, so `zip` or `capacity` never do.
    FIELD_CATEGORIES
        .iter()
        .filter(|(field, _)| field.len() >= 5)
        .find(|(field, _)| {
            name.len() > field.len()
                && name.ends_with(field)
                && name.as_bytes()[name.len() - field.len() - 1] == b'_'
        })
        .map(|(_, category)| *category)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names() {
        assert_eq!(category_for_field("email"), Some("user.contact.email"));
        assert_eq!(
            category_for_field("billing_address"),
            Some("user.contact.address")
        );
        assert_eq!(
            category_for_field("customer_email"),
            Some("user.contact.email")
        );
        assert_eq!(
            category_for_field("date_of_birth"),
            Some("user.demographic.date_of_birth")
        );
        assert_eq!(
            category_for_field("IBAN"),
            Some("user.financial.bank_account")
        );
        assert_eq!(category_for_field("capacity"), None);
        assert_eq!(category_for_field("zip"), None);
        assert_eq!(category_for_field("id"), None);
        assert_eq!(category_for_field("emailed"), None);
    }
}
