//! One service, one node: the compose service, the Kubernetes workload and the package that run
//! the same code become one node, and every other name they go by is an alias of it.
//!
//! A name alone is no evidence: a test compose file's `vector` is not the production DaemonSet
//! `vector` (`model::scope_ids` keeps those apart), and two services that run `postgres:16` are
//! two databases. Only these say that two names are the same code:
//!
//! - **A build context.** A compose service built from a directory of this repository
//!   (`build: ./api`, `build.context`, or the directory of the Dockerfile `build.dockerfile`
//!   names) runs the package whose manifest is in that directory
//!   (`extract::owners`: the package's name, or the directory's when it holds a Dockerfile), so
//!   the code found there and the service's configuration leave from one node.
//! - **An image built here.** A compose service and a Kubernetes workload that run the same image
//!   repository (the tag and digest ignored, `docker.io/library/x` written `x`) are one service
//!   when that repository is built by this repository: a compose service both builds it and names
//!   it (`build` with `image`), or its registry and namespace are those of such an image (the
//!   organisation's own registry). A public image (`postgres:16`, a vendor's agent) is never
//!   evidence, however many services run it.
//!
//! Deployments of one code said to run in different places (a `borderline.dev/location` of
//! `aws:us-east-1` on one, `aws:eu-central-1` on the other) stay apart: one node has one
//! location, and the flows of the other would be judged from the wrong country.
//!
//! Evidence that one deployment runs under several names (a web and a worker built from one
//! context, five federated copies of one image) says nothing about which of them another
//! deployment's service is, so it merges nothing. A merge that would give a service the name of
//! another service of its own deployment is not made either.
//!
//! **The name that wins** is the one a user sees where the service runs in production, since
//! findings, `explain` and the hostnames other services use all say it: a production Kubernetes
//! workload's first, then a production compose service's (nearest the root first), then the
//! package's; a test or dev deployment's name (Vaultwarden's Playwright rig builds the root as
//! `VaultwardenPrebuild`) only when nothing else names the code. Every other name is an alias, which
//! `borderline.toml` (`[[node]] id`, flows, waivers), annotations (`flow to=`) and `explain`
//! resolve to the node.

use super::{id_scope, scope_order};
use crate::facts::Environment;
use crate::facts::{FlowFact, FlowTarget, Location, NodeFact, NodeKind};
use crate::policy::Waiver;
use std::collections::{BTreeMap, BTreeSet};

/// A name of a service within one deployment: its scope without the namespace (`""` for names
/// that mean the whole repository, as a package's does) and its id.
type Identity = (String, String);

/// The evidence that names are one service.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Evidence {
    /// A directory of the repository that a service is built from, or that holds a package.
    Directory(String),
    /// An image repository built by this repository.
    Image(String),
}

/// What merging decided.
#[derive(Debug, Default)]
pub struct Identities {
    /// Alias -> the id of the node it names.
    pub aliases: BTreeMap<String, String>,
}

impl Identities {
    /// The id `id` names: the node's own id for an alias, else `id` itself.
    pub fn resolve<'a>(&'a self, id: &'a str) -> &'a str {
        self.aliases.get(id).map_or(id, String::as_str)
    }

    /// Gives what a person wrote in `borderline.toml` (nodes, flows, waivers) the id of the node
    /// each alias names.
    pub fn rename_declared(
        &self,
        nodes: &mut [NodeFact],
        flows: &mut [FlowFact],
        waivers: &mut [Waiver],
    ) {
        if self.aliases.is_empty() {
            return;
        }
        let rename = |id: &mut String| {
            let new = self.resolve(id).to_string();
            *id = new;
        };
        for node in nodes.iter_mut() {
            rename(&mut node.id);
        }
        for flow in flows.iter_mut() {
            if let Some(from) = &mut flow.from {
                rename(&mut from.id);
            }
            if let FlowTarget::Node(to) = &mut flow.to {
                rename(&mut to.id);
            }
        }
        for waiver in waivers.iter_mut() {
            for reference in [&mut waiver.from, &mut waiver.to].into_iter().flatten() {
                rename(&mut reference.id);
            }
        }
    }
}

/// Gives the facts of one service one id, and returns the aliases of the ids that went.
///
/// `package_dir` tells the directory of a package a fact makes a node of (its manifest's), and
/// `class_of` the class of the file a fact is declared in.
pub fn merge(
    nodes: &mut [NodeFact],
    flows: &mut [FlowFact],
    package_dir: impl Fn(&NodeFact) -> Option<String>,
    class_of: impl Fn(&NodeFact) -> Environment,
) -> Identities {
    let found = gather(nodes, package_dir, class_of);
    let components = components(&found.evidence);
    let renames = renames(&components, &found);
    if renames.is_empty() {
        return Identities::default();
    }
    apply_renames(nodes, flows, &renames)
}

/// What the node facts say about which names are one service.
struct Found {
    /// Evidence -> scope -> the names it has there.
    evidence: BTreeMap<Evidence, BTreeMap<String, BTreeSet<String>>>,
    /// Each identity's class: its most productive declaration's.
    classes: BTreeMap<Identity, Environment>,
    /// Each identity's full scope (with its namespace).
    full_scopes: BTreeMap<Identity, Option<String>>,
    /// Where each deployed name is said to run.
    locations: BTreeMap<Identity, BTreeSet<Location>>,
    /// Scope -> every id declared in it, for names a merge must not take.
    declared: BTreeMap<String, BTreeSet<String>>,
}

/// Gathers the evidence each service's facts give (build directories, its package's directory,
/// images this repository builds) and what decides a merge: classes, scopes, locations and the
/// ids each scope declares.
fn gather(
    nodes: &[NodeFact],
    package_dir: impl Fn(&NodeFact) -> Option<String>,
    class_of: impl Fn(&NodeFact) -> Environment,
) -> Found {
    // Images this repository builds, and the registry namespaces they are pushed to.
    let mut built: BTreeSet<String> = BTreeSet::new();
    for node in nodes.iter().filter(|n| !n.build.is_empty()) {
        built.extend(node.images.iter().filter_map(|image| repository(image)));
    }
    let own_namespaces: BTreeSet<&str> = built.iter().filter_map(|r| namespace(r)).collect();
    let is_own = |repo: &str| {
        built.contains(repo) || namespace(repo).is_some_and(|ns| own_namespaces.contains(ns))
    };

    // Evidence -> scope -> the names it has there; each identity's class and full scope.
    let mut evidence: BTreeMap<Evidence, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut classes: BTreeMap<Identity, Environment> = BTreeMap::new();
    let mut full_scopes: BTreeMap<Identity, Option<String>> = BTreeMap::new();
    // Where each deployed name is said to run.
    let mut locations: BTreeMap<Identity, BTreeSet<Location>> = BTreeMap::new();
    // Scope -> every id declared in it, for names a merge must not take.
    let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for node in nodes.iter() {
        let scope = scope_key(&node.scope);
        declared
            .entry(scope.clone())
            .or_default()
            .insert(node.id.clone());
        if node.kind != Some(NodeKind::Service) {
            continue;
        }
        let mut found = Vec::new();
        found.extend(node.build.iter().cloned().map(Evidence::Directory));
        if node.scope.is_none()
            && let Some(directory) = package_dir(node)
        {
            found.push(Evidence::Directory(directory));
        }
        for image in &node.images {
            if let Some(repo) = repository(image).filter(|r| is_own(r)) {
                found.push(Evidence::Image(repo));
            }
        }
        if found.is_empty() {
            continue;
        }
        let identity = (scope.clone(), node.id.clone());
        let class = class_of(node);
        classes
            .entry(identity.clone())
            .and_modify(|c| *c = (*c).min(class))
            .or_insert(class);
        locations
            .entry(identity.clone())
            .or_default()
            .extend(node.location.as_ref().map(|l| l.location.clone()));
        full_scopes
            .entry(identity)
            .or_insert_with(|| node.scope.clone());
        for item in found {
            evidence
                .entry(item)
                .or_default()
                .entry(scope.clone())
                .or_default()
                .insert(node.id.clone());
        }
    }
    Found {
        evidence,
        classes,
        full_scopes,
        locations,
        declared,
    }
}

/// The names unambiguous evidence joins (no scope has two names for it), grouped by the root of
/// a union-find over identities.
fn components(
    evidence: &BTreeMap<Evidence, BTreeMap<String, BTreeSet<String>>>,
) -> BTreeMap<Identity, Vec<Identity>> {
    // Names joined by unambiguous evidence, as a union-find over identities.
    let mut parent: BTreeMap<Identity, Identity> = BTreeMap::new();
    for by_scope in evidence.values() {
        if by_scope.values().any(|ids| ids.len() > 1) {
            continue;
        }
        let members: Vec<Identity> = by_scope
            .iter()
            .flat_map(|(scope, ids)| ids.iter().map(move |id| (scope.clone(), id.clone())))
            .collect();
        if members.len() < 2 {
            continue;
        }
        for member in &members[1..] {
            union(&mut parent, &members[0], member);
        }
    }
    let mut components: BTreeMap<Identity, Vec<Identity>> = BTreeMap::new();
    for identity in parent.keys().cloned().collect::<Vec<_>>() {
        let root = find(&mut parent, &identity);
        components.entry(root).or_default().push(identity);
    }
    components
}

/// The new id and scope of each name that joins another, (scope, old id) -> (new id, new scope):
/// every member of a group takes its winner's name, unless the name is taken in a member's
/// deployment or the members are said to run in different places.
fn renames(
    components: &BTreeMap<Identity, Vec<Identity>>,
    found: &Found,
) -> BTreeMap<Identity, (String, Option<String>)> {
    let Found {
        classes,
        full_scopes,
        locations,
        declared,
        ..
    } = found;
    // (scope, old id) -> (new id, new scope).
    let mut renames: BTreeMap<Identity, (String, Option<String>)> = BTreeMap::new();
    for members in components.values() {
        let Some(winner) = members
            .iter()
            .min_by(|a, b| rank(classes, a).cmp(&rank(classes, b)))
        else {
            continue;
        };
        // A service of the same deployment already has the name: the merge would join two
        // services of one deployment into one. (A name written for the whole repository means
        // the node of that name wherever it is deployed, so it takes nothing.)
        let taken = members.iter().any(|(scope, id)| {
            !scope.is_empty()
                && id != &winner.1
                && declared
                    .get(scope)
                    .is_some_and(|ids| ids.contains(&winner.1))
                && !members.contains(&(scope.clone(), winner.1.clone()))
        });
        // Two deployments of one code said to run in different places are two services as far
        // as a transfer goes: one node could have only one of the locations, and the flows of
        // the other would be judged from the wrong country (a false green when it is the
        // recipient's).
        let places: BTreeSet<&Location> = members
            .iter()
            .filter_map(|m| locations.get(m))
            .flatten()
            .collect();
        if taken || places.len() > 1 {
            continue;
        }
        let winner_scope = full_scopes.get(winner).cloned().flatten();
        for member in members {
            if member == winner {
                continue;
            }
            let new_scope = if member.0.is_empty() {
                None
            } else {
                winner_scope.clone()
            };
            renames.insert(member.clone(), (winner.1.clone(), new_scope));
        }
    }
    renames
}

/// Gives the nodes and the flows that name them their new ids, and returns the aliases of the
/// ids that went.
fn apply_renames(
    nodes: &mut [NodeFact],
    flows: &mut [FlowFact],
    renames: &BTreeMap<Identity, (String, Option<String>)>,
) -> Identities {
    for node in nodes.iter_mut() {
        let scope = scope_key(&node.scope);
        if let Some((id, new_scope)) = renames.get(&(scope, node.id.clone())) {
            node.id.clone_from(id);
            if node.scope.is_some() {
                node.scope.clone_from(new_scope);
            }
        }
    }
    // An old name is an alias unless some node still has it.
    let remaining: BTreeSet<&str> = nodes.iter().map(|n| n.id.as_str()).collect();
    let mut aliases = BTreeMap::new();
    for ((_, old), (new, _)) in renames {
        if !remaining.contains(old.as_str()) {
            aliases.insert(old.clone(), new.clone());
        }
    }
    let identities = Identities { aliases };
    // A flow names the nodes of the scope it is written in, and one written for the whole
    // repository (code, an annotation, an env file) names them by any of their names.
    let rename = |scope: &Option<String>, id: &mut String| {
        let key = (scope_key(scope), id.clone());
        if let Some((new, _)) = renames.get(&key) {
            id.clone_from(new);
        } else if scope.is_none() {
            let new = identities.resolve(id).to_string();
            *id = new;
        }
    };
    for flow in flows.iter_mut() {
        if let Some(from) = &mut flow.from {
            rename(&flow.scope, &mut from.id);
        }
        if let FlowTarget::Node(to) = &mut flow.to {
            rename(&flow.scope, &mut to.id);
        }
    }
    for node in nodes.iter_mut().filter(|n| n.scope.is_none()) {
        let new = identities.resolve(&node.id).to_string();
        node.id = new;
    }
    identities
}

/// The order in which names claim the merged node: production before test and dev, then deployed
/// names before a package's, Kubernetes before compose, nearest the root, then by name.
fn rank<'a>(
    classes: &BTreeMap<Identity, Environment>,
    identity: &'a Identity,
) -> (Environment, bool, (bool, usize, &'a str), &'a str) {
    let (scope, id) = identity;
    (
        classes.get(identity).copied().unwrap_or_default(),
        scope.is_empty(),
        scope_order(scope),
        id,
    )
}

fn find(parent: &mut BTreeMap<Identity, Identity>, identity: &Identity) -> Identity {
    let mut current = identity.clone();
    // Bounded by the number of identities: every step moves towards the root.
    for _ in 0..=parent.len() {
        match parent.get(&current) {
            Some(next) if next != &current => current = next.clone(),
            _ => break,
        }
    }
    // Path compression keeps later searches short.
    parent.insert(identity.clone(), current.clone());
    current
}

fn union(parent: &mut BTreeMap<Identity, Identity>, a: &Identity, b: &Identity) {
    parent.entry(a.clone()).or_insert_with(|| a.clone());
    parent.entry(b.clone()).or_insert_with(|| b.clone());
    let (ra, rb) = (find(parent, a), find(parent, b));
    if ra != rb {
        let (low, high) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent.insert(high, low);
    }
}

/// The repository of an image reference, as one string for every way of writing it: no tag and
/// no digest, lower case, Docker Hub's host and its `library/` namespace left out. `None` for a
/// reference that is not a literal (a template or an unset variable) or is empty.
pub fn repository(image: &str) -> Option<String> {
    let image = image.trim();
    if image.is_empty() || image.contains(['$', '{', '}', ' ']) {
        return None;
    }
    let image = image.split('@').next().unwrap_or(image);
    // A tag follows the last `:` after the last `/`; a `:` before it is a registry's port.
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    let image = match image[last_slash..].rfind(':') {
        Some(colon) => &image[..last_slash + colon],
        None => image,
    };
    let mut parts: Vec<String> = image
        .split('/')
        .filter(|p| !p.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if parts.len() > 1
        && matches!(
            parts[0].as_str(),
            "docker.io" | "index.docker.io" | "registry-1.docker.io"
        )
    {
        parts.remove(0);
    }
    if parts.len() == 2 && parts[0] == "library" {
        parts.remove(0);
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The registry and namespace of a repository (all but its last segment), when it has one.
fn namespace(repository: &str) -> Option<&str> {
    repository.rsplit_once('/').map(|(namespace, _)| namespace)
}

/// The part of a fact's scope that names its ids (`""` for facts named once for the repository).
fn scope_key(scope: &Option<String>) -> String {
    scope.as_deref().map(id_scope).unwrap_or("").to_string()
}

#[cfg(test)]
mod tests {
    use super::{merge, repository};
    use crate::facts::Environment;
    use crate::facts::{
        FlowFact, FlowTarget, LocatedAt, Location, NodeFact, NodeKind, NodeRef, Origin,
    };

    fn service(id: &str, scope: Option<&str>, build: &[&str], images: &[&str]) -> NodeFact {
        let mut node = NodeFact::new(id, Origin::Compose);
        node.kind = Some(NodeKind::Service);
        node.scope = scope.map(str::to_string);
        node.build = build.iter().map(|b| b.to_string()).collect();
        node.images = images.iter().map(|i| i.to_string()).collect();
        node
    }

    /// Runs a merge where `package` (if any) is the package of directory `api`.
    fn run(nodes: &mut [NodeFact], flows: &mut [FlowFact]) -> Vec<(String, String)> {
        let identities = merge(
            nodes,
            flows,
            |node| (node.id == "harbor-api").then(|| "api".to_string()),
            |_| Environment::Production,
        );
        identities.aliases.into_iter().collect()
    }

    #[test]
    fn a_build_context_and_an_image_built_here_join_three_names() {
        let mut nodes = vec![
            service(
                "backend",
                Some("compose:."),
                &["api"],
                &["ghcr.io/acme/api:dev"],
            ),
            service(
                "harbor-backend",
                Some("kubernetes:deploy#prod"),
                &[],
                &["ghcr.io/acme/api:1.2"],
            ),
            service("harbor-api", None, &[], &[]),
        ];
        let mut flows = vec![
            FlowFact::observed(
                NodeRef::to("harbor-api"),
                FlowTarget::Host {
                    host: "api.stripe.com".into(),
                    span: None,
                },
                None,
                Origin::Inference,
            ),
            {
                let mut flow = FlowFact::observed(
                    NodeRef::to("web"),
                    FlowTarget::Node(NodeRef::to("backend")),
                    None,
                    Origin::Compose,
                );
                flow.scope = Some("compose:.".into());
                flow
            },
        ];
        let aliases = run(&mut nodes, &mut flows);
        assert_eq!(
            aliases,
            [
                ("backend".to_string(), "harbor-backend".to_string()),
                ("harbor-api".to_string(), "harbor-backend".to_string())
            ]
        );
        assert!(nodes.iter().all(|n| n.id == "harbor-backend"));
        assert_eq!(
            flows[0].from.as_ref().map(|f| f.id.as_str()),
            Some("harbor-backend")
        );
        assert!(matches!(&flows[1].to, FlowTarget::Node(to) if to.id == "harbor-backend"));
    }

    #[test]
    fn ambiguity_public_images_taken_names_and_two_places_merge_nothing() {
        // A web and a worker built from one context: which one the workload is, nothing says.
        let mut nodes = vec![
            service("web", Some("compose:."), &[""], &["ghcr.io/acme/app:dev"]),
            service(
                "worker",
                Some("compose:."),
                &[""],
                &["ghcr.io/acme/app:dev"],
            ),
            service("app", Some("kubernetes:k8s"), &[], &["ghcr.io/acme/app:1"]),
        ];
        assert!(run(&mut nodes, &mut []).is_empty());
        // Two services of a public image.
        let mut nodes = vec![
            service("db", Some("compose:."), &[], &["postgres:16"]),
            service(
                "postgres",
                Some("kubernetes:k8s"),
                &[],
                &["docker.io/library/postgres:16"],
            ),
        ];
        assert!(run(&mut nodes, &mut []).is_empty());
        // The winning name is another service of the compose project.
        let mut nodes = vec![
            service(
                "backend",
                Some("compose:."),
                &["api"],
                &["ghcr.io/acme/api:dev"],
            ),
            service("api", Some("compose:."), &[], &["redis:7"]),
            service("api", Some("kubernetes:k8s"), &[], &["ghcr.io/acme/api:1"]),
        ];
        assert!(run(&mut nodes, &mut []).is_empty());
        // Said to run in two places.
        let at = |text: &str| LocatedAt {
            location: Location::parse(text),
            span: None,
            unresolved_reason: None,
        };
        let mut nodes = vec![
            service(
                "backend",
                Some("compose:."),
                &["api"],
                &["ghcr.io/acme/api:dev"],
            ),
            service("api", Some("kubernetes:k8s"), &[], &["ghcr.io/acme/api:1"]),
        ];
        nodes[0].location = Some(at("aws:eu-central-1"));
        nodes[1].location = Some(at("aws:us-east-1"));
        assert!(run(&mut nodes, &mut []).is_empty());
    }

    #[test]
    fn repositories_ignore_tags_digests_and_docker_hub() {
        let same = |a: &str, b: &str| assert_eq!(repository(a), repository(b), "{a} vs {b}");
        same("ghcr.io/acme/api:1.2", "ghcr.io/acme/api:latest");
        same("ghcr.io/acme/api@sha256:abc", "ghcr.io/acme/api");
        same("docker.io/library/postgres:16", "postgres");
        same("index.docker.io/acme/api:2", "acme/api");
        same("localhost:5000/api:1", "localhost:5000/api");
        assert_eq!(
            repository("localhost:5000/api:1").as_deref(),
            Some("localhost:5000/api")
        );
        assert_eq!(repository("{{ .Values.image }}"), None);
        assert_eq!(repository("${REGISTRY}/api"), None);
        assert_eq!(repository(""), None);
        assert_ne!(
            repository("ghcr.io/acme/api"),
            repository("ghcr.io/acme/worker")
        );
    }
}
