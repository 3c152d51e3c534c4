//! The JSON Schema of `borderline.toml`, for editors (Taplo / Even Better TOML read a file's
//! `#:schema URL` line): typed mirrors of the manifest's tables, with the documentation an editor
//! shows on hover, generated with `schemars` into `docs/borderline.schema.json` by `cargo xtask
//! codegen`.
//!
//! The manifest itself is read by `config`'s key tables (spans, one error per problem); these
//! types only describe it. A test holds the two together: every table has the same keys here and
//! there, and every manifest of the fixtures that `config` accepts is valid against the schema.
//! Allowed values come from the code that checks them (mechanisms, rules, node kinds).

use crate::facts::{MechanismKind, NodeKind};
use crate::rule::Rule;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use std::borrow::Cow;

/// Where the schema is published: the repository's `docs/borderline.schema.json` on `main`, raw
/// (the repository URL is the workspace's `repository`, set once).
pub const SCHEMA_URL: &str = concat!(
    env!("CARGO_PKG_REPOSITORY"),
    "/raw/main/docs/borderline.schema.json"
);

/// `borderline.toml`: the project's nodes, flows, contracts, policy and waivers. Everything in
/// it is optional; a repository without one is scanned with the default policy.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Manifest {
    project: Option<Project>,
    policy: Option<Policy>,
    scan: Option<Scan>,
    /// Nodes: services, stores, vendors and clients, or facts added to nodes found in
    /// configuration (matched by `id`).
    node: Option<Vec<Node>>,
    /// Flows of personal data between nodes that no configuration or annotation shows.
    flow: Option<Vec<Flow>>,
    /// Accepted findings, each with a reason and an expiry.
    waiver: Option<Vec<Waiver>>,
}

/// The project.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Project {
    /// The project's name: SARIF's `automationDetails.id` and the register's title.
    name: Option<String>,
    /// Where the data subjects are: `EEA` (or `EU`). borderline checks GDPR Chapter V.
    home: Option<Home>,
}

/// The organisation's transfer policy. Absent keys keep their defaults.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Policy {
    /// The Chapter V mechanisms the organisation accepts (default: all but derogations for
    /// systematic transfers).
    approved_mechanisms: Option<Mechanisms>,
    /// Whether SCCs and other Art. 46 safeguards need a transfer impact assessment (`tia`).
    require_tia: Option<bool>,
    /// Special-category data (Art. 9) abroad: `deny` flags every such transfer, `safeguard`
    /// judges it like other data.
    special_categories: Option<SpecialCategories>,
    /// Severity of `unknown-location` findings, or `off`.
    unknown_location: Option<UnknownLocation>,
    /// Countries whose adequacy decision the policy does not rely on (ISO 3166 codes, such as
    /// `US`): transfers there need another safeguard.
    distrust_adequacy: Option<OneOrMany>,
    /// Lowest severity that fails `scan` (exit 1), or `never`.
    fail_on: Option<FailOn>,
    /// Severity of findings about data inferred from field names.
    inferred_findings: Option<SeverityName>,
}

/// What the scan reads.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Scan {
    /// Globs of paths not to scan, relative to the repository root.
    exclude: Option<OneOrMany>,
    /// Environment classes judged beside production: `tests`, `dev`.
    include: Option<Include>,
    /// The deployment variants to judge (Helm values, Kustomize overlays, tfvars); default all.
    variants: Option<OneOrMany>,
    /// Terraform root modules and the variable files of each deployment.
    terraform: Option<Vec<TerraformRoot>>,
}

/// A Terraform root module.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct TerraformRoot {
    /// The root module's directory, relative to the repository root.
    root: String,
    /// Its `.tfvars` files, one deployment each.
    var_files: Option<OneOrMany>,
}

/// A node, or facts about a node found in configuration (same `id`).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Node {
    /// The node's id: a service name, a Terraform address, a vendor id of the rule data.
    id: String,
    /// What it is.
    kind: Option<Kind>,
    /// Where it keeps data: a provider region (`aws:eu-central-1`), a country code (`DE`), or `EEA`.
    location: Option<String>,
    /// The files that belong to it (globs): annotations in them flow from this node.
    paths: Option<OneOrMany>,
    /// The personal data it holds or receives (Fides data categories, such as `user.contact`).
    data: Option<OneOrMany>,
    /// Host names that identify it in configuration (endpoints, URLs).
    domains: Option<OneOrMany>,
    /// Certifications it holds that the rule data knows (such as `dpf`).
    certifications: Option<OneOrMany>,
    /// `false`: it receives no personal data (its flows are not transfers).
    personal_data: Option<bool>,
    /// The safeguard that covers every flow to this node.
    safeguard: Option<Safeguard>,
    /// A name for diagrams and the register.
    label: Option<String>,
    /// The hosting provider of the rule data (such as `aws`), when `location` is a country.
    provider: Option<String>,
}

/// A flow of personal data.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Flow {
    /// The sending node's id.
    from: String,
    /// The receiving node's id.
    to: String,
    /// The personal data it carries (Fides data categories).
    data: Option<OneOrMany>,
    /// Why: the register's purpose column.
    purpose: Option<String>,
    /// The safeguard that covers this flow only.
    safeguard: Option<Safeguard>,
}

/// A Chapter V safeguard (`mechanism` and what it needs).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Safeguard {
    /// The mechanism.
    mechanism: Mechanism,
    /// SCC version (`2021/914`).
    version: Option<String>,
    /// SCC module: 1 controller to controller, 2 controller to processor, 3 processor to
    /// processor, 4 processor to controller.
    #[schemars(range(min = 1, max = 4))]
    module: Option<u8>,
    /// A reference to the signed document or decision.
    reference: Option<String>,
    /// When it was signed (YYYY-MM-DD).
    signed: Option<Date>,
    /// When it stops being valid (YYYY-MM-DD).
    expires: Option<Date>,
    /// The transfer impact assessment: its path in the repository or a reference.
    tia: Option<String>,
    /// For `mechanism = "derogation"`: which Art. 49(1) derogation (rule data lists them).
    derogation: Option<String>,
}

/// An accepted finding.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
#[allow(dead_code)]
struct Waiver {
    /// The rule it waives.
    rule: WaivableRule,
    /// The flow's sending node (omit for any).
    from: Option<String>,
    /// The flow's receiving node (omit for any).
    to: Option<String>,
    /// Why it is accepted: shown in every report.
    reason: String,
    /// When the waiver stops applying (YYYY-MM-DD).
    expires: Date,
}

fn names(values: impl IntoIterator<Item = &'static str>) -> Vec<&'static str> {
    values.into_iter().collect()
}

fn one_of(values: Vec<&'static str>) -> Schema {
    json_schema!({ "type": "string", "enum": values })
}

/// A value whose schema is written here (a key's allowed values come from the code that checks
/// them), inlined where it is used.
macro_rules! schema_type {
    ($($(#[$doc:meta])* $name:ident => $schema:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn inline_schema() -> bool {
                true
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    )*};
}

schema_type! {
    /// A string, or a list of strings (the reader takes one string as a list of one).
    OneOrMany => json_schema!({
        "anyOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }]
    });
    Home => one_of(vec!["EEA", "EU", "eea", "eu"]);
    Mechanism => one_of(names(MechanismKind::ALL.iter().map(|(name, _)| *name)));
    Mechanisms => {
        let one = one_of(names(MechanismKind::ALL.iter().map(|(name, _)| *name)));
        json_schema!({ "anyOf": [one, { "type": "array", "items": one }] })
    };
    SpecialCategories => one_of(vec!["deny", "safeguard"]);
    SeverityName => one_of(vec!["error", "warning", "note"]);
    UnknownLocation => one_of(vec!["error", "warning", "note", "off"]);
    FailOn => one_of(vec!["error", "warning", "note", "never"]);
    Include => {
        let classes = one_of(vec!["tests", "dev"]);
        json_schema!({ "anyOf": [classes, { "type": "array", "items": classes }] })
    };
    Kind => one_of(names(NodeKind::ALL.iter().map(|(name, _)| *name)));
    WaivableRule => one_of(Rule::waivable_names().collect());
    /// A TOML date (`2027-03-31`) or the same as a string.
    Date => json_schema!({ "type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$" });
}

/// TOML has no null: an absent key is the only absent value, so the `null` that schemars allows
/// for an `Option` is taken out again (`"type": ["string", "null"]`, `anyOf: [.., {"type":
/// "null"}]`).
fn without_null(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    map.insert("type".to_string(), only);
                }
            }
            if let Some(Value::Array(options)) = map.get_mut("anyOf") {
                options.retain(|o| o.get("type").is_none_or(|t| t != "null"));
                if options.len() == 1 {
                    let only = options.remove(0);
                    map.remove("anyOf");
                    if let Value::Object(inner) = only {
                        map.extend(inner);
                    }
                }
            }
            map.values_mut().for_each(without_null);
        }
        Value::Array(items) => items.iter_mut().for_each(without_null),
        _ => {}
    }
}

/// The schema as `docs/borderline.schema.json` holds it (JSON Schema draft-07, which Taplo and
/// SchemaStore read).
pub fn json() -> String {
    let generator = schemars::generate::SchemaSettings::draft07().into_generator();
    let schema = generator.into_root_schema_for::<Manifest>();
    let mut value = schema.to_value();
    without_null(&mut value);
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("$id".to_string(), SCHEMA_URL.into());
    }
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn schema() -> Value {
        serde_json::from_str(&json()).unwrap_or_default()
    }

    /// The keys the schema allows in each table, by the path `config::manifest_keys` names it.
    fn properties(schema: &Value, table: &str) -> Vec<String> {
        let definitions = &schema["definitions"];
        let node = match table {
            "" => schema,
            "project" => &definitions["Project"],
            "policy" => &definitions["Policy"],
            "scan" => &definitions["Scan"],
            "scan.terraform" => &definitions["TerraformRoot"],
            "node" => &definitions["Node"],
            "flow" => &definitions["Flow"],
            "safeguard" => &definitions["Safeguard"],
            "waiver" => &definitions["Waiver"],
            other => panic!("no schema definition for table `{other}`"),
        };
        let mut keys: Vec<String> = node["properties"]
            .as_object()
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    #[test]
    fn every_table_has_the_keys_the_reader_reads() {
        let schema = schema();
        for (table, keys) in crate::config::manifest_keys() {
            let mut keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            keys.sort();
            assert_eq!(properties(&schema, table), keys, "table `{table}`");
        }
    }

    #[test]
    fn unknown_keys_are_refused_as_the_reader_refuses_them() {
        let schema = schema();
        for definition in [
            "Project",
            "Policy",
            "Scan",
            "Node",
            "Flow",
            "Safeguard",
            "Waiver",
        ] {
            assert_eq!(
                schema["definitions"][definition]["additionalProperties"],
                Value::Bool(false),
                "{definition}"
            );
        }
        assert_eq!(schema["additionalProperties"], Value::Bool(false));
    }

    #[test]
    fn the_schema_is_published_where_the_repository_is() {
        assert_eq!(schema()["$id"], SCHEMA_URL);
        assert!(SCHEMA_URL.starts_with("https://github.com/"));
    }
}
