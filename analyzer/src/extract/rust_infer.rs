//! Inference from unannotated Rust: field names that mean personal data, and URL literals that
//! name a host. Everything found here is marked inferred: a guess to confirm, never an error alone.

use super::lexer::PieceKind;
use crate::source::{SourceFile, Span};

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

/// True for files that are tests, examples or benchmarks: URLs there are mocks, not flows.
pub(crate) fn is_test_path(path: &str) -> bool {
    path.split('/').any(|part| {
        matches!(
            part,
            "tests" | "test" | "benches" | "examples" | "fixtures" | "testdata"
        )
    })
}

/// A host named by a URL in a string literal, with the span of the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HostLiteral {
    pub host: String,
    pub span: Span,
}

/// Hosts of `scheme://host...` URLs inside the file's string literals (never in comments).
pub(crate) fn url_hosts(file: &SourceFile) -> Vec<HostLiteral> {
    let text: &str = &file.text;
    let mut hosts = Vec::new();
    for piece in file.pieces() {
        if piece.kind != PieceKind::String {
            continue;
        }
        let literal = &text[piece.range.clone()];
        let mut search = 0;
        while let Some(found) = literal[search..].find("://") {
            let scheme_end = search + found;
            search = scheme_end + 3;
            let scheme = literal[..scheme_end]
                .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
                .next()
                .unwrap_or("");
            if scheme.is_empty() || scheme.contains("file") {
                continue;
            }
            let authority_start = scheme_end + 3;
            let authority_end = literal[authority_start..]
                .find(['/', '?', '#', '"', ' ', '\\', '{', '}'])
                .map_or(literal.len(), |n| authority_start + n);
            let authority = &literal[authority_start..authority_end];
            // `user:password@host:port`: the host is after the last `@` and before the port.
            let host_start = authority.rfind('@').map_or(0, |n| n + 1);
            let host_part = &authority[host_start..];
            let host_len = if host_part.starts_with('[') {
                host_part.find(']').map_or(host_part.len(), |n| n + 1)
            } else {
                host_part.find(':').unwrap_or(host_part.len())
            };
            let host = &host_part[..host_len];
            if !plausible_host(host) {
                continue;
            }
            let start = piece.range.start + authority_start + host_start;
            hosts.push(HostLiteral {
                host: host.trim_end_matches('.').to_ascii_lowercase(),
                span: file.span(start..start + host.len()),
            });
        }
    }
    hosts
}

/// A DNS name with a dot, not a placeholder, an IP literal or a local name.
fn plausible_host(host: &str) -> bool {
    if host.is_empty() || !host.contains('.') || host.starts_with('[') {
        return false;
    }
    if !host
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return false;
    }
    let last = host.trim_end_matches('.').rsplit('.').next().unwrap_or("");
    // `10.0.0.1` has a numeric last label; `localhost.localdomain`, `.local` and `.internal` stay inside.
    !(last.is_empty()
        || last.bytes().all(|b| b.is_ascii_digit())
        || matches!(
            last,
            "local" | "internal" | "localdomain" | "test" | "example" | "invalid" | "localhost"
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::owners::testing::files;

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

    #[test]
    fn url_hosts_in_strings_only() {
        let sources = files(&[(
            "src/track.rs",
            "// see https://docs.mixpanel.com/ for docs\nconst A: &str = \"https://api.mixpanel.com/track?x=1\";\nlet b = format!(\"postgres://u:p@db.eu.rds.amazonaws.com:5432/app\");\nlet c = \"http://localhost:8080\"; let d = \"https://10.0.0.1/\"; let e = \"https://{host}/x\";\n",
        )]);
        let hosts: Vec<(String, u32)> = url_hosts(&sources[0])
            .into_iter()
            .map(|h| (h.host, sources[0].line_column(h.span.start).line))
            .collect();
        assert_eq!(
            hosts,
            [
                ("api.mixpanel.com".to_string(), 2),
                ("db.eu.rds.amazonaws.com".to_string(), 3)
            ]
        );
    }
}
