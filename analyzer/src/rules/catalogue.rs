//! Builds and validates the Terraform catalogue: store resource types (`stores.toml`) and the
//! registry modules that create stores (`modules.toml`).

use super::load::{Context, Defaults, Item, Provenance};
use super::model::{
    ModuleAddress, ModuleReplica, RegistryModule, StorePlacement, StoreType, WhenUnset,
};
use super::raw::{RawModule, RawStore};
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// A Terraform identifier (resource type, argument, input name): what the catalogue may name.
fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A resource type, or `azapi_resource:<Azure resource type>` for the generic AzAPI resource, whose
/// `type` argument (`Microsoft.Storage/storageAccounts@2023-01-01`) says what it creates.
fn is_store_key(text: &str) -> bool {
    match text.split_once(':') {
        Some((resource_type, azure_type)) => {
            is_identifier(resource_type)
                && !azure_type.is_empty()
                && azure_type
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '-' | '_'))
        }
        None => is_identifier(text),
    }
}

fn check_provider(
    context: &mut Context,
    providers: &BTreeSet<String>,
    file: usize,
    provider: &Spanned<String>,
) -> String {
    let id = provider.get_ref().trim().to_ascii_lowercase();
    if !providers.contains(&id) {
        context.error(
            file,
            provider.span(),
            format!("unknown provider `{id}`: not in providers.toml"),
        );
    }
    id
}

pub(super) fn build_stores(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    providers: &BTreeSet<String>,
    records: Vec<Item<RawStore>>,
) -> Vec<StoreType> {
    let mut stores = Vec::new();
    for Item { file, value: r } in records {
        let resource_type = r.resource_type.get_ref().trim().to_ascii_lowercase();
        if !is_store_key(&resource_type) {
            context.error(
                file,
                r.resource_type.span(),
                format!("`{resource_type}` is not a Terraform resource type"),
            );
        }
        let provider = check_provider(context, providers, file, &r.provider);
        let placement = *r.placement.get_ref();
        let argument = r.argument.as_ref().map(|a| a.get_ref().trim().to_string());
        match (&r.argument, placement.needs_argument()) {
            (None, true) => context.error(
                file,
                r.placement.span(),
                "this placement reads an `argument`: name it",
            ),
            (Some(argument), false) => {
                context.error(file, argument.span(), "this placement reads no `argument`")
            }
            (Some(argument), true) if !is_identifier(argument.get_ref().trim()) => context.error(
                file,
                argument.span(),
                format!("`{}` is not an argument name", argument.get_ref()),
            ),
            _ => {}
        }
        match (&r.default, placement) {
            (None, StorePlacement::ArgumentOrDefault) => context.error(
                file,
                r.placement.span(),
                "`argument-or-default` needs the provider's `default`",
            ),
            (Some(default), placement) if placement != StorePlacement::ArgumentOrDefault => context
                .error(
                    file,
                    default.span(),
                    "`default` is only read by `argument-or-default`",
                ),
            _ => {}
        }
        let Provenance {
            source,
            as_of,
            confidence,
        } = Provenance::of(
            context,
            defaults,
            file,
            r.source,
            r.as_of.as_ref(),
            r.confidence,
        );
        stores.push(StoreType {
            resource_type,
            provider,
            description: r.description,
            name_argument: r.name_argument.trim().to_string(),
            placement,
            argument,
            default: r.default.map(|d| d.get_ref().trim().to_string()),
            note: r.note,
            source,
            as_of,
            confidence,
        });
    }
    stores
}

pub(super) fn build_modules(
    context: &mut Context,
    defaults: &BTreeMap<usize, Defaults>,
    providers: &BTreeSet<String>,
    records: Vec<Item<RawModule>>,
) -> Vec<RegistryModule> {
    let mut modules = Vec::new();
    for Item { file, value: r } in records {
        let written = r.source.get_ref().trim();
        // The key must be a plain registry address, so that a call's source finds it.
        let address = ModuleAddress::parse(written)
            .filter(|a| a.submodule.is_empty() && a.package == written.to_ascii_lowercase());
        if address.is_none() {
            context.error(
                file,
                r.source.span(),
                format!(
                    "`{written}` is not a registry address `namespace/name/provider` (put a submodule in `submodule`)"
                ),
            );
        }
        let submodule = submodule(context, file, &r);
        let aliases = aliases(context, file, &r);
        let repositories = repositories(context, file, &r);
        let provider = check_provider(context, providers, file, &r.provider);
        let when_unset = *r.when_unset.get_ref();
        match (&r.default, when_unset) {
            (None, WhenUnset::Default) => context.error(
                file,
                r.when_unset.span(),
                "`when_unset = \"default\"` needs the module's `default`",
            ),
            (Some(default), unset) if unset != WhenUnset::Default => context.error(
                file,
                default.span(),
                "`default` is only read when `when_unset = \"default\"`",
            ),
            _ => {}
        }
        let replicas = r
            .replica
            .into_iter()
            .map(|replica| ModuleReplica {
                input: replica.input.trim().to_string(),
                field: replica.field.map(|f| f.trim().to_string()),
                value: replica.value,
                same_region_when_unset: replica.same_region_when_unset,
                note: replica.note,
            })
            .collect();
        let Provenance {
            source: source_url,
            as_of,
            confidence,
        } = Provenance::of(
            context,
            defaults,
            file,
            r.source_url,
            r.as_of.as_ref(),
            r.confidence,
        );
        modules.push(RegistryModule {
            source: written.to_ascii_lowercase(),
            submodule,
            aliases,
            repositories,
            provider,
            description: r.description,
            name_input: r.name_input.map(|n| n.trim().to_string()),
            location_input: r.location_input.map(|i| i.trim().to_string()),
            when_unset,
            default: r.default.map(|d| d.get_ref().trim().to_string()),
            replicas,
            note: r.note,
            source_url,
            as_of,
            confidence,
        });
    }
    modules
}

/// The path inside the module (`modules/postgresql`), lower case; empty for the module's root.
fn submodule(context: &mut Context, file: usize, r: &RawModule) -> String {
    let submodule = r
        .submodule
        .as_ref()
        .map(|s| s.get_ref().trim().to_ascii_lowercase())
        .unwrap_or_default();
    if let Some(sub) = &r.submodule
        && (submodule.is_empty()
            || submodule.starts_with('/')
            || submodule.ends_with('/')
            || submodule
                .split('/')
                .any(|part| part.is_empty() || part == ".."))
    {
        context.error(
            file,
            sub.span(),
            "`submodule` is a path inside the module, such as `modules/postgresql`",
        );
    }
    submodule
}

/// Other registry addresses of the same module (no host part).
fn aliases(context: &mut Context, file: usize, r: &RawModule) -> Vec<String> {
    let mut aliases = Vec::new();
    for alias in &r.aliases {
        let written = alias.get_ref().trim();
        match ModuleAddress::parse(written) {
            Some(a)
                if a.submodule.is_empty()
                    && a.package == written.to_ascii_lowercase()
                    && !a.package.contains('.') =>
            {
                aliases.push(a.package)
            }
            _ => context.error(
                file,
                alias.span(),
                format!("`{written}` is not a registry address `namespace/name/provider`"),
            ),
        }
    }
    aliases
}

/// The module's repositories (`github.com/owner/repo`): a host part is required.
fn repositories(context: &mut Context, file: usize, r: &RawModule) -> Vec<String> {
    let mut repositories = Vec::new();
    for repository in &r.repositories {
        let written = repository.get_ref().trim();
        match ModuleAddress::parse(written) {
            Some(a)
                if a.submodule.is_empty()
                    && a.package == written.to_ascii_lowercase()
                    && a.package.contains('.') =>
            {
                repositories.push(a.package)
            }
            _ => context.error(
                file,
                repository.span(),
                format!("`{written}` is not a repository address such as `github.com/owner/repo`"),
            ),
        }
    }
    repositories
}
