//! Tests of the built-in rule data and of loading overrides.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::date::Date;

fn rules() -> RuleSet {
    match RuleSet::builtin() {
        Ok(rules) => rules,
        Err(errors) => {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("built-in rule data has errors:\n{}", text.join("\n"))
        }
    }
}

fn date(text: &str) -> Date {
    Date::parse(text).unwrap()
}

#[test]
fn builtin_loads_without_errors() {
    let rules = rules();
    assert!(rules.jurisdictions().count() >= 249);
    assert!(rules.files().len() >= 12);
}

#[test]
fn eu_and_eea_counts() {
    let rules = rules();
    assert_eq!(rules.eu_countries().len(), 27);
    assert_eq!(rules.eea_countries().len(), 30);
    assert!(rules.is_eea("no") && rules.is_eea("EL") && rules.is_eea("AX"));
    assert!(
        !rules.is_eea("FO") && !rules.is_eea("GL") && !rules.is_eea("CH") && !rules.is_eea("SJ")
    );
    assert_eq!(
        rules.jurisdiction("el").map(|j| j.code.as_str()),
        Some("GR")
    );
    assert_eq!(
        rules.jurisdiction("EPORG").map(|j| j.bloc),
        Some(Bloc::InternationalOrganisation)
    );
}

#[test]
fn regions_resolve_by_provider() {
    let rules = rules();
    assert_eq!(
        rules.region("aws", "eu-west-1").unwrap().countries,
        vec!["IE"]
    );
    assert_eq!(
        rules.region("alibaba", "EU-WEST-1").unwrap().countries,
        vec!["GB"]
    );
    let us = rules.region("gcp", "us").unwrap();
    assert!(us.multi_region);
    assert_eq!(us.countries, vec!["US"]);
    assert_eq!(
        rules.region("google", "europe-west3").unwrap().countries,
        vec!["DE"]
    );
    assert_eq!(
        rules.region("azurerm", "westeurope").unwrap().countries,
        vec!["NL"]
    );
    assert_eq!(
        rules.region("gcp", "EUR3").unwrap().countries,
        vec!["BE", "NL", "FI"]
    );
    assert!(rules.region_anywhere("eu-west-1").len() >= 2);
    assert!(rules.region("aws", "eu-isoe-west-1").is_none());
}

#[test]
fn adequacy_decisions_and_dates() {
    let rules = rules();
    let us = rules.adequacy_decisions("US");
    assert_eq!(us.len(), 1);
    assert!(
        us[0]
            .conditions
            .iter()
            .any(|c| c.kind == ConditionKind::Certification("dpf".into()))
    );
    assert!(
        us[0]
            .litigation
            .as_deref()
            .unwrap_or("")
            .contains("C-703/25 P")
    );
    let br = rules.adequacy_decisions("BR");
    assert!(!br[0].in_force_on(date("2026-01-25")));
    assert!(br[0].in_force_on(date("2026-01-26")));
    assert!(br[0].eea_effective.is_none());
    let gb: Vec<_> = rules
        .adequacy_decisions("UK")
        .into_iter()
        .filter(|d| d.is_gdpr())
        .collect();
    assert_eq!(gb.len(), 1);
    assert_eq!(gb[0].expires, Some(date("2031-12-27")));
    // "Shall expire on 27 December 2031": in force through that day, expired from the next.
    for (day, in_force, expired) in [
        ("2031-12-26", true, false),
        ("2031-12-27", true, false),
        ("2031-12-28", false, true),
    ] {
        assert_eq!(gb[0].in_force_on(date(day)), in_force, "{day}");
        assert_eq!(gb[0].expired_on(date(day)), expired, "{day}");
    }
    assert_eq!(rules.adequacy_in_force("GB", date("2026-11-29")).len(), 1);
    for code in [
        "CH", "CA", "AR", "GG", "IM", "JE", "FO", "AD", "IL", "UY", "NZ", "JP", "KR", "EPORG",
    ] {
        assert_eq!(rules.adequacy_decisions(code).len(), 1, "{code}");
    }
    assert_eq!(rules.adequacy_decisions("KR")[0].conditions.len(), 3);
}

#[test]
fn mechanisms_and_derogations() {
    let rules = rules();
    let scc = rules.mechanism("scc").unwrap();
    assert!(scc.requires_tia);
    let current = scc.version("2021/914").unwrap();
    assert_eq!(current.modules, vec![1, 2, 3, 4]);
    assert!(current.valid_on(date("2026-11-29"), Some(date("2024-03-01"))));
    let old = scc.version("2010/87/EU").unwrap();
    assert!(!old.valid_on(date("2023-01-01"), Some(date("2020-01-01"))));
    assert!(old.valid_on(date("2022-12-27"), Some(date("2020-01-01"))));
    assert!(!scc.version("2021/915").unwrap().transfer_tool);
    assert!(rules.mechanism("bcr").unwrap().requires_tia);
    // Every Art. 46 tool needs the exporter's assessment of the third country's law (Schrems II;
    // EDPB Guidelines 04/2021 for codes, 07/2022 for certifications).
    for tool in ["code-of-conduct", "certification", "ad-hoc-clauses"] {
        assert!(rules.mechanism(tool).unwrap().requires_tia, "{tool}");
    }
    assert!(
        rules
            .mechanism("ad-hoc-clauses")
            .unwrap()
            .requires_reference
    );
    let ids = [
        "explicit-consent",
        "contract",
        "public-interest",
        "legal-claims",
        "vital-interests",
        "public-register",
        "compelling-legitimate-interests",
    ];
    assert_eq!(rules.derogations().count(), ids.len());
    for id in ids {
        assert!(rules.derogation(id).is_some(), "{id}");
    }
    assert!(
        rules
            .derogation("compelling-legitimate-interests")
            .unwrap()
            .occasional_only
    );
}

#[test]
fn providers_and_unverified_certifications() {
    let rules = rules();
    let gcp = rules.provider("google").unwrap();
    assert_eq!(gcp.id, "gcp");
    assert_eq!(gcp.certifications, vec!["dpf"]);
    assert!(!gcp.certifications_confidence.is_verified());
    assert_eq!(rules.provider("microsoft").unwrap().id, "azure");
    assert_eq!(rules.provider("hetzner").unwrap().country, "DE");
}

#[test]
fn categories_and_special_categories() {
    let rules = rules();
    assert_eq!(
        rules
            .special_category("user.health_and_medical.genetic")
            .unwrap()
            .kind,
        "genetic"
    );
    assert_eq!(
        rules
            .special_category("user.health_and_medical.record_id")
            .unwrap()
            .kind,
        "health"
    );
    assert_eq!(
        rules
            .special_category("user.criminal_history")
            .unwrap()
            .article,
        10
    );
    assert!(rules.special_category("user.contact.email").is_none());
    assert!(rules.special_category("user.demographic").is_none());
    let under_user = rules.special_descendants("user");
    assert!(
        under_user
            .iter()
            .any(|s| s.category == "user.health_and_medical")
    );
    assert!(rules.special_descendants("user.demographic").len() >= 5);
    let union = rules
        .category("user.demographic.trade_union_membership")
        .unwrap();
    assert_eq!(union.origin, CategoryOrigin::Extension);
    assert!(
        rules
            .special_category("user.demographic.trade_union_membership")
            .is_some()
    );
    assert!(!rules.is_personal_category("system.operations"));
    assert!(rules.is_personal_category("user.contact.email"));
    assert!(rules.is_personal_category("systematic.thing"));
    assert_eq!(
        rules.closest_category("user.contact.emial"),
        Some("user.contact.email")
    );
    assert_eq!(
        rules.closest_category("user.contact.email.work_address_field"),
        Some("user.contact.email")
    );
}

#[test]
fn closest_category_knows_the_taxonomy_not_only_spelling() {
    let rules = rules();
    for (unknown, expected) in [
        // A leaf named by its category's name ("Religion"), not the ancestor `user`.
        ("user.religion", "user.demographic.religious_belief"),
        // A leaf one level further down.
        ("user.email", "user.contact.email"),
        // A word of a leaf, the shallowest under the known ancestor.
        ("user.health", "user.health_and_medical"),
        // Typos stay typos.
        ("user.contact.emial", "user.contact.email"),
        (
            "user.helth_and_medical.genetic",
            "user.health_and_medical.genetic",
        ),
        // A misspelt leaf under a known ancestor.
        ("user.emial", "user.contact.email"),
    ] {
        assert_eq!(rules.closest_category(unknown), Some(expected), "{unknown}");
        let mut budget = u64::MAX;
        assert_eq!(
            rules.closest_category_within(unknown, &mut budget),
            Some(expected),
            "{unknown}"
        );
    }
    // Without budget the cheap suggestion still names the leaf.
    let mut none = 0;
    assert_eq!(
        rules.closest_category_within("user.religion", &mut none),
        Some("user.demographic.religious_belief")
    );
}

#[test]
fn vendors_by_host() {
    let rules = rules();
    assert!(rules.vendors().count() >= 150);
    let sentry = rules.vendor_for_host("o123.ingest.de.sentry.io").unwrap();
    assert_eq!(sentry.vendor.id, "sentry");
    assert_eq!(sentry.countries, vec!["DE"]);
    assert_eq!(
        rules
            .vendor_for_host("o123.ingest.sentry.io")
            .unwrap()
            .countries,
        vec!["US"]
    );
    let mixpanel = rules.vendor_for_host("api.mixpanel.com").unwrap();
    assert_eq!(mixpanel.vendor.id, "mixpanel");
    assert_eq!(mixpanel.countries, vec!["US"]);
    // EU residency without a documented country: an unknown location, never the US default.
    let eu = rules.vendor_for_host("api-eu.mixpanel.com").unwrap();
    assert!(eu.endpoint.is_some() && eu.countries.is_empty());
    assert_eq!(
        rules
            .vendor_for_host("API.DATADOGHQ.EU.")
            .unwrap()
            .countries,
        vec!["DE"]
    );
    assert_eq!(
        rules
            .vendor_for_host("ap1.datadoghq.com")
            .unwrap()
            .countries,
        vec!["JP"]
    );
    assert_eq!(
        rules
            .vendor_for_host("events.eu1.segmentapis.com")
            .unwrap()
            .countries,
        vec!["IE"]
    );
    assert!(rules.vendor_for_host("notsentry.io").is_none());
    assert!(
        rules
            .vendor("amplitude")
            .unwrap()
            .certifications
            .contains(&"dpf".to_string())
    );
    assert!(rules.vendor("datadog").unwrap().certifications.is_empty());
}

const META: &str = "[meta]\ntitle = \"t\"\nversion = \"1\"\nas_of = 2026-11-29\nsource = \"test\"\nconfidence = \"C\"\n";

fn write(dir: &std::path::Path, name: &str, text: &str) {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn bad_override_reports_every_error_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "regions/aws.toml",
        &format!(
            "{META}\n[[region]]\nprovider = \"aws\"\nid = \"xx-north-1\"\nname = \"Nowhere\"\ncountries = [\"XX\"]\n"
        ),
    );
    write(
        dir.path(),
        "vendors.toml",
        &format!(
            "{META}\n[[vendor]]\nid = \"acme\"\nname = \"Acme\"\nlegal_entity = \"Acme\"\ncountry = \"US\"\nhomepage = \"x\"\n"
        ),
    );
    write(dir.path(), "typo.toml", "");
    let errors = RuleSet::load(Some(dir.path())).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let joined = text.join("\n");
    assert_eq!(errors.len(), 3, "{joined}");
    // META is 6 lines, then a blank line: the region starts on line 8.
    let region = errors
        .iter()
        .find(|e| e.file.ends_with("aws.toml"))
        .unwrap();
    assert_eq!((region.line, region.column), (12, 14), "{joined}");
    assert!(region.message.contains("XX"));
    let vendor = errors
        .iter()
        .find(|e| e.file.ends_with("vendors.toml"))
        .unwrap();
    assert_eq!((vendor.line, vendor.column), (13, 1), "{joined}");
    assert!(vendor.message.contains("homepage"), "{joined}");
    assert!(
        errors
            .iter()
            .any(|e| e.file.ends_with("typo.toml") && e.message.contains("unknown rule file"))
    );
}

#[test]
fn override_adds_a_region_and_replaces_a_vendor() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "regions/aws.toml",
        &format!(
            "{META}\n[[region]]\nprovider = \"aws\"\nid = \"eu-west-4\"\nname = \"Europe (Test)\"\ncountries = [\"IE\"]\n"
        ),
    );
    write(
        dir.path(),
        "vendors.toml",
        &format!(
            "{META}\n[[vendor]]\nid = \"sentry\"\nname = \"Sentry self-hosted\"\nlegal_entity = \"Us\"\ncountry = \"DE\"\ndomains = [\"sentry.io\", \"*.sentry.io\"]\n"
        ),
    );
    let rules = RuleSet::load(Some(dir.path())).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        rules.region("aws", "eu-west-4").unwrap().countries,
        vec!["IE"]
    );
    assert_eq!(
        rules.region("aws", "eu-west-1").unwrap().countries,
        vec!["IE"]
    );
    let sentry = rules.vendor("sentry").unwrap();
    assert_eq!(sentry.name, "Sentry self-hosted");
    assert!(sentry.endpoints.is_empty());
    assert_eq!(
        rules
            .vendor_for_host("o1.ingest.de.sentry.io")
            .unwrap()
            .countries,
        vec!["DE"]
    );
    assert!(rules.vendors().count() >= 40);
    assert!(
        rules
            .files()
            .iter()
            .any(|f| f.origin == RuleFileOrigin::Override)
    );
}

#[test]
fn duplicate_keys_and_bad_dates_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "adequacy.toml",
        &format!(
            "{META}\n[[decision]]\nid = \"x\"\njurisdiction = \"ZZ\"\ninstrument = \"i\"\nlegal_basis = \"gdpr_art45\"\nadopted = 2026-01-26\nexpires = 2020-01-01\nscope = \"s\"\n\n[[decision]]\nid = \"x\"\njurisdiction = \"BR\"\ninstrument = \"i\"\nlegal_basis = \"gdpr_art45\"\nadopted = 2026-01-26\nscope = \"s\"\n"
        ),
    );
    let errors = RuleSet::load(Some(dir.path())).unwrap_err();
    let joined: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("duplicate decision")),
        "{joined:?}"
    );
    assert!(
        errors.iter().any(|e| e.message.contains("ZZ")),
        "{joined:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("not after adopted")),
        "{joined:?}"
    );
}

#[test]
fn azure_pairs_come_from_rule_data_and_must_name_a_region_of_the_provider() {
    let rules = RuleSet::builtin().unwrap();
    let westeurope = rules.region("azure", "westeurope").unwrap();
    assert_eq!(westeurope.paired.as_deref(), Some("northeurope"));
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "regions/azure.toml",
        &format!(
            "{META}\n[[region]]\nprovider = \"azure\"\nid = \"westeurope\"\nname = \"West Europe\"\ncountries = [\"NL\"]\npaired = \"eastmoon\"\n"
        ),
    );
    let errors = RuleSet::load(Some(dir.path())).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].line, 13);
    assert!(errors[0].message.contains("eastmoon"), "{errors:?}");
}

#[test]
fn regions_added_from_the_audit_resolve_to_their_countries() {
    let rules = rules();
    let cases: &[(&str, &str, &[&str])] = &[
        ("gcp", "asia-southeast3", &["TH"]),
        ("azure", "denmarkeast", &["DK"]),
        ("azure", "indiasouthcentral", &["IN"]),
        ("azure", "swedensouth", &["SE"]),
        ("azure", "taiwannorth", &["TW"]),
        ("azure", "taiwannorthwest", &["TW"]),
        ("azure", "israelnorthwest", &["IL"]),
        ("azure", "malaysiasouth", &["MY"]),
        ("azure", "usgovvirginia", &["US"]),
        ("azure", "usdodcentral", &["US"]),
        ("azure", "chinanorth3", &["CN"]),
        ("oci", "us-gov-ashburn-1", &["US"]),
        ("oci", "us-gov-chicago-1", &["US"]),
        ("oci", "us-gov-phoenix-1", &["US"]),
        ("digitalocean", "atl1", &["US"]),
        ("gcp", "nam3", &["US"]),
        ("gcp", "nam14", &["US", "CA"]),
        ("gcp", "eur5", &["GB", "BE", "NL"]),
        ("gcp", "eur6", &["NL", "DE", "CH"]),
        ("gcp", "nam-eur-asia1", &["US", "BE", "TW"]),
        ("gcp", "asia1", &["JP", "KR"]),
    ];
    for (provider, id, countries) in cases {
        let region = rules
            .region(provider, id)
            .unwrap_or_else(|| panic!("{provider}:{id} is not in the rule data"));
        assert_eq!(&region.countries, countries, "{provider}:{id}");
    }
    // Spanner configurations are multi-regions and, read from background knowledge, unverified.
    let eur6 = rules.region("gcp", "eur6").unwrap();
    assert!(eur6.multi_region && !eur6.confidence.is_verified());
    // Restricted and government regions keep the tag of their source.
    assert_eq!(
        rules.region("azure", "taiwannorth").unwrap().confidence,
        Confidence::C2
    );
    // Same-country pairs: geo-redundant copies stay in the country.
    for (region, paired) in [
        ("swedencentral", "swedensouth"),
        ("brazilsoutheast", "brazilsouth"),
        ("uaecentral", "uaenorth"),
        ("southafricawest", "southafricanorth"),
        ("westindia", "southindia"),
        ("australiacentral", "australiacentral2"),
        ("indiasouthcentral", "centralindia"),
    ] {
        assert_eq!(
            rules.region("azure", region).unwrap().paired.as_deref(),
            Some(paired),
            "{region}"
        );
    }
}

#[test]
fn store_types_come_from_rule_data() {
    let rules = rules();
    assert_eq!(rules.store_types().count(), 53);
    // An R2 bucket is placed only by its jurisdiction: a location hint is best effort.
    let r2 = rules.store_type("cloudflare_r2_bucket").unwrap();
    assert_eq!(r2.argument.as_deref(), Some("jurisdiction"));
    assert_eq!(
        rules.region("cloudflare", "eu").unwrap().countries.len(),
        27,
        "the EU jurisdiction spans the EU member states"
    );
    let bucket = rules.store_type("aws_s3_bucket").unwrap();
    assert_eq!(
        (
            bucket.provider.as_str(),
            bucket.name_argument.as_str(),
            bucket.placement
        ),
        ("aws", "bucket", StorePlacement::AwsRegion)
    );
    let dataset = rules.store_type("google_bigquery_dataset").unwrap();
    assert_eq!(dataset.placement, StorePlacement::ArgumentOrDefault);
    assert_eq!(
        (dataset.argument.as_deref(), dataset.default.as_deref()),
        (Some("location"), Some("us"))
    );
    let database = rules.store_type("azurerm_mssql_database").unwrap();
    assert_eq!(
        (database.placement, database.argument.as_deref()),
        (StorePlacement::Via, Some("server_id"))
    );
    // Compute and networking are not stores.
    assert!(rules.store_type("aws_instance").is_none());
    assert!(rules.store_type("aws_vpc").is_none());
}

#[test]
fn registry_modules_are_found_by_every_form_of_their_source() {
    let rules = rules();
    assert!(rules.registry_modules().count() >= 15);
    for source in [
        "terraform-google-modules/sql-db/google//modules/postgresql",
        "registry.terraform.io/terraform-google-modules/sql-db/google//modules/postgresql",
        "github.com/terraform-google-modules/terraform-google-sql-db//modules/postgresql?ref=v26.1.1",
        "git::https://github.com/terraform-google-modules/terraform-google-sql-db.git//modules/postgresql?ref=v26.1.1",
        "git::ssh://git@github.com/terraform-google-modules/terraform-google-sql-db.git//modules/postgresql/",
        "git@github.com:Terraform-Google-Modules/terraform-google-sql-db.git//modules/postgresql",
        // The namespace the module was first published under, still resolved by the registry.
        "GoogleCloudPlatform/sql-db/google//modules/postgresql",
    ] {
        let module = rules
            .registry_module(source)
            .unwrap_or_else(|| panic!("{source} is not found"));
        assert_eq!(
            (module.source.as_str(), module.submodule.as_str()),
            (
                "terraform-google-modules/sql-db/google",
                "modules/postgresql"
            ),
            "{source}"
        );
        assert_eq!(module.default.as_deref(), Some("us-central1"));
        assert_eq!(module.replicas.len(), 1);
    }
    // The root of sql-db creates no instance; other submodules are other records.
    assert!(
        rules
            .registry_module("terraform-google-modules/sql-db/google")
            .is_none()
    );
    assert!(
        rules
            .registry_module(
                "terraform-google-modules/sql-db/google//modules/private_service_access"
            )
            .is_none()
    );
    assert_eq!(
        rules
            .registry_module("terraform-google-modules/sql-db/google//modules/safer_mysql")
            .map(|m| m.when_unset),
        Some(WhenUnset::Required)
    );
    let s3 = rules
        .registry_module("terraform-aws-modules/s3-bucket/aws")
        .unwrap();
    assert_eq!(s3.when_unset, WhenUnset::ProviderRegion);
    assert!(s3.confidence.is_verified());
    assert_eq!(
        rules
            .registry_module("Azure/avm-res-storage-storageaccount/azurerm")
            .map(|m| m.provider.as_str()),
        Some("azure")
    );
    // Local paths, unknown modules and other hosts are not catalogued.
    for source in [
        "./modules/s3-bucket",
        "../terraform-aws-s3-bucket",
        "terraform-aws-modules/vpc/aws",
        "app.terraform.io/acme/s3-bucket/aws",
        "s3::https://s3.amazonaws.com/bucket/module.zip",
        "",
    ] {
        assert!(rules.registry_module(source).is_none(), "{source}");
    }
}

#[test]
fn bad_catalogue_records_are_errors_at_their_position() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "stores.toml",
        &format!(
            "{META}\n[[store]]\nresource_type = \"aws_thing\"\nprovider = \"aws\"\ndescription = \"thing\"\nname_argument = \"name\"\nplacement = \"argument-or-default\"\nargument = \"location\"\n\n[[store]]\nresource_type = \"aws_other\"\nprovider = \"aws\"\ndescription = \"other\"\nname_argument = \"name\"\nplacement = \"aws-region\"\ndefault = \"us\"\n"
        ),
    );
    write(
        dir.path(),
        "modules.toml",
        &format!(
            "{META}\n[[module]]\nsource = \"acme/ledger/aws\"\nsubmodule = \"../escape\"\nrepositories = [\"https://github.com/acme/ledger\"]\nprovider = \"aws\"\ndescription = \"ledger\"\nwhen_unset = \"default\"\n"
        ),
    );
    let errors = RuleSet::load(Some(dir.path())).unwrap_err();
    let joined: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let joined = joined.join("\n");
    let at = |file: &str, line: usize, column: usize, text: &str| {
        assert!(
            errors.iter().any(|e| e.file.ends_with(file)
                && (e.line, e.column) == (line, column)
                && e.message.contains(text)),
            "no {file}:{line}:{column} {text} in\n{joined}"
        );
    };
    // META is 6 lines, then a blank line: the first record starts on line 8.
    at("stores.toml", 13, 13, "needs the provider's `default`");
    at("stores.toml", 22, 11, "only read by `argument-or-default`");
    at("modules.toml", 10, 13, "`submodule` is a path");
    at("modules.toml", 11, 17, "not a repository address");
    at("modules.toml", 14, 14, "needs the module's `default`");
    assert_eq!(errors.len(), 5, "{joined}");
}

/// The host index answers exactly as comparing the host with every pattern of the catalogue does,
/// for hosts made from every pattern (and a few that only look like them).
#[test]
fn the_vendor_index_agrees_with_a_full_comparison() {
    let rules = rules();
    // (vendor id, endpoint host) of a match.
    type Found = (String, Option<String>);
    let brute = |host: &str| -> Option<Found> {
        let mut best: Option<((usize, bool, bool), Found)> = None;
        for vendor in rules.vendors() {
            let patterns = vendor.domains.iter().map(|d| (d.as_str(), None)).chain(
                vendor
                    .endpoints
                    .iter()
                    .map(|e| (e.host.as_str(), Some(e.host.clone()))),
            );
            for (pattern, endpoint) in patterns {
                let matched = match pattern.strip_prefix('*') {
                    Some(suffix) => (host.len() > suffix.len() && host.ends_with(suffix))
                        .then_some((suffix.len(), false)),
                    None => (host == pattern).then_some((pattern.len(), true)),
                };
                if let Some((length, exact)) = matched {
                    let score = (length, exact, endpoint.is_some());
                    if best.as_ref().is_none_or(|(s, _)| score > *s) {
                        best = Some((score, (vendor.id.clone(), endpoint)));
                    }
                }
            }
        }
        best.map(|(_, found)| found)
    };
    let mut hosts = Vec::new();
    for vendor in rules.vendors() {
        for pattern in vendor
            .domains
            .iter()
            .chain(vendor.endpoints.iter().map(|e| &e.host))
        {
            let literal = pattern.trim_start_matches('*');
            for prefix in ["", "a", "x.", "eu.", "api-eu."] {
                hosts.push(format!("{prefix}{literal}"));
            }
            hosts.push(format!("{literal}.evil.example"));
        }
    }
    assert!(hosts.len() > 5000, "{}", hosts.len());
    for host in &hosts {
        let indexed = rules
            .vendor_for_host(host)
            .map(|m| (m.vendor.id.clone(), m.endpoint.map(|e| e.host.clone())));
        assert_eq!(indexed, brute(host), "{host}");
    }
}

#[test]
fn the_current_scc_version_and_the_certification_ids_are_rule_data() {
    let rules = rules();
    assert_eq!(rules.current_scc_version(), "2021/914");
    // The adequacy conditions' certifications first, then the mechanisms a recipient holds: the
    // order of the manifest's "expected `dpf` or `bcr`".
    assert_eq!(rules.certification_ids(), ["dpf", "bcr"]);
    let us = rules.adequacy_decisions("US");
    let condition = us
        .iter()
        .flat_map(|d| &d.conditions)
        .find(|c| matches!(c.kind, ConditionKind::Certification(_)))
        .unwrap();
    assert_eq!(
        condition.register.as_deref(),
        Some("Data Privacy Framework List")
    );
}

#[test]
fn a_current_version_must_be_a_valid_version_of_its_mechanism() {
    let scc = |current: &str| {
        format!(
            "{META}\n[[mechanism]]\nid = \"scc\"\nname = \"SCC\"\narticle = \"46(2)(c)\"\n{current}\n[[mechanism.version]]\nid = \"2021/914\"\ninstrument = \"i\"\ntransfer_tool = true\nvalid_from = 2021-06-27\n\n[[mechanism.version]]\nid = \"2010/87\"\ninstrument = \"i\"\ntransfer_tool = true\nsigned_before = 2021-09-27\nvalid_until = 2022-12-27\n"
        )
    };
    let errors_for = |current: &str| {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "mechanisms.toml", &scc(current));
        RuleSet::load(Some(dir.path()))
            .err()
            .unwrap_or_default()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        errors_for("current_version = \"2021/914\""),
        Vec::<String>::new()
    );
    let missing = errors_for("");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].ends_with("mechanisms.toml:9:6: mechanism `scc` needs `current_version` (the SCC version help texts tell users to sign)"),
        "{missing:?}"
    );
    let unknown = errors_for("current_version = \"2099/1\"");
    assert!(
        unknown[0].ends_with(
            "mechanisms.toml:12:19: current_version `2099/1` is not a version of this mechanism"
        ),
        "{unknown:?}"
    );
    let ended = errors_for("current_version = \"2010/87\"");
    assert!(
        ended[0].ends_with("current_version `2010/87` must be a transfer tool with no `signed_before` or `valid_until`"),
        "{ended:?}"
    );
}

#[test]
fn provider_hosts_place_partitions_and_legacy_hosts_from_rule_data() {
    let rules = rules();
    let (provider, eusc) = rules.provider_host("bucket.s3.amazonaws.eu").unwrap();
    assert_eq!((provider, eusc.suffix.as_str()), ("aws", "amazonaws.eu"));
    assert_eq!(eusc.countries, ["DE"]);
    let (_, china) = rules
        .provider_host("x.s3.cn-north-1.amazonaws.com.cn")
        .unwrap();
    assert_eq!(china.countries, ["CN"]);
    let (provider, legacy) = rules.provider_host("my-db.firebaseio.com").unwrap();
    assert_eq!(
        (provider, legacy.region.as_deref()),
        ("gcp", Some("us-central1"))
    );
    // A suffix matches whole labels only.
    assert!(rules.provider_host("notamazonaws.com").is_none());
    assert!(rules.provider_host("example.com").is_none());

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "providers.toml",
        &format!(
            "{META}\n[[provider]]\nid = \"gcp\"\nname = \"Google Cloud\"\nlegal_entity = \"Google LLC\"\ncountry = \"US\"\naliases = [\"google\", \"google-beta\"]\n\n[[provider.host]]\nsuffix = \".Example.com\"\nform = \"google\"\ncountries = [\"QQ\"]\nregion = \"mars-1\"\n"
        ),
    );
    let errors: Vec<String> = RuleSet::load(Some(dir.path()))
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert!(errors[0].ends_with("providers.toml:16:10: `.Example.com` is not a host suffix (a lower-case domain without a leading dot)"), "{errors:?}");
    assert!(
        errors[1].ends_with(
            "providers.toml:18:14: unknown country code `QQ`: not in jurisdictions.toml"
        ),
        "{errors:?}"
    );
    assert!(
        errors[2].ends_with("providers.toml:19:10: region `mars-1` is not a region of `gcp`"),
        "{errors:?}"
    );
}

#[test]
fn field_names_come_from_rule_data() {
    let rules = rules();
    let field = |name: &str| rules.category_for_field(name);
    assert_eq!(field("email"), Some("user.contact.email"));
    assert_eq!(field("billing_address"), Some("user.contact.address"));
    assert_eq!(field("customer_email"), Some("user.contact.email"));
    assert_eq!(
        field("date_of_birth"),
        Some("user.demographic.date_of_birth")
    );
    assert_eq!(field("IBAN"), Some("user.financial.bank_account"));
    assert_eq!(field("r#email"), Some("user.contact.email"));
    // A qualified name matches the first record in file order: `address` comes before
    // `street_address`, as it did in the table this data was moved from.
    assert_eq!(field("home_street_address"), Some("user.contact.address"));
    assert_eq!(field("capacity"), None);
    assert_eq!(field("zip"), None);
    assert_eq!(field("id"), None);
    assert_eq!(field("emailed"), None);
    assert_eq!(field("client_ip"), None);
    assert_eq!(rules.fields().len(), 52);
}

/// Every category the field table names is a key of the taxonomy (or an extension): a misspelt
/// category in `rules/categories.toml` fails here and in the loader.
#[test]
fn every_field_category_is_in_the_taxonomy() {
    let rules = rules();
    let unknown: Vec<(&str, &str)> = rules
        .fields()
        .iter()
        .filter(|f| rules.category(&f.category).is_none())
        .map(|f| (f.name.as_str(), f.category.as_str()))
        .collect();
    assert!(unknown.is_empty(), "{unknown:?}");
}

#[test]
fn bad_field_records_are_errors_at_their_position() {
    // The second `email` replaces the first within the layer (after the duplicate is
    // reported), so its misspelt category is the one checked against the taxonomy.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "categories.toml",
        &format!(
            "{META}\n[[field]]\nname = \"email\"\ncategory = \"user.contact.email\"\n\n[[field]]\nname = \"email\"\ncategory = \"user.contact.emial\"\n\n[[field]]\nname = \"E-mail\"\ncategory = \"user.contact.email\"\n"
        ),
    );
    let errors = RuleSet::load(Some(dir.path())).unwrap_err();
    let prefix = dir.path().display().to_string();
    let text: Vec<String> = errors
        .iter()
        .map(|e| e.to_string().replace(&prefix, "DIR"))
        .collect();
    assert_eq!(
        text,
        [
            "DIR/categories.toml:13:8: duplicate field `email` (first defined in DIR/categories.toml)",
            "DIR/categories.toml:14:12: unknown category `user.contact.emial`: not in the taxonomy nor an extension",
            "DIR/categories.toml:17:8: field name `E-mail` must be lower-case letters, digits and `_`",
        ]
    );
}

#[test]
fn an_override_replaces_a_field_in_place_and_adds_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "categories.toml",
        &format!(
            "{META}\n[[field]]\nname = \"address\"\ncategory = \"user.contact.address.street\"\n\n[[field]]\nname = \"customer_ref\"\ncategory = \"user.unique_id\"\n"
        ),
    );
    let rules = RuleSet::load(Some(dir.path())).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(
        rules.category_for_field("billing_address"),
        Some("user.contact.address.street")
    );
    assert_eq!(
        rules.category_for_field("customer_ref"),
        Some("user.unique_id")
    );
    assert_eq!(
        rules.category_for_field("email"),
        Some("user.contact.email")
    );
    assert_eq!(rules.fields().len(), 53);
    assert_eq!(
        rules.fields().iter().position(|f| f.name == "address"),
        rules
            .fields()
            .iter()
            .position(|f| f.name == "full_name")
            .map(|i| i + 2)
    );
}
