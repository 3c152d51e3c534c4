//! Compose service names as the compose and env extractors resolve them: the project a compose
//! file's services belong to, and a flow to a host that may be one of those services' names.

use super::urls::{HostClass, classify_host};
use crate::facts::{FlowFact, FlowTarget, NodeRef, Origin};
use crate::source::Span;
use camino::Utf8Path;
use std::collections::BTreeMap;

/// The scope of the services of a compose file: its project, the compose files of its directory
/// (`compose:.` at the root). Compose runs the files of one directory together (`-f` overlays);
/// files in other directories are other deployments, whose service names mean other containers.
pub fn project_scope(path: &Utf8Path) -> String {
    match path.parent().map(Utf8Path::as_str) {
        None | Some("") => "compose:.".to_string(),
        Some(directory) => format!("compose:{directory}"),
    }
}

/// A flow from `from` to a host named in a value: a service of the same project, a public host, or nothing.
pub fn flow_to_host(
    from: &str,
    host: &str,
    span: Span,
    names: &BTreeMap<String, String>,
    origin: Origin,
) -> Option<FlowFact> {
    let to = match names.get(host) {
        Some(id) if id == from => return None,
        Some(id) => FlowTarget::Node(NodeRef {
            id: id.clone(),
            span: Some(span),
        }),
        None if classify_host(host) != HostClass::Public => return None,
        None => FlowTarget::Host {
            host: host.to_string(),
            span: Some(span),
        },
    };
    Some(FlowFact::observed(
        NodeRef::to(from),
        to,
        Some(span),
        origin,
    ))
}
