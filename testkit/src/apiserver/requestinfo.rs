//! What a request is, in the apiserver's terms (k8s.io/apiserver
//! `RequestInfoFactory`): verb, group, resource, subresource, namespace and
//! name. Counters and fault injection are keyed on it.

use axum::http::Method;

#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    pub is_resource: bool,
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    pub path: String,
}

fn query_flag(query: &str, key: &str) -> bool {
    query.split('&').any(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        k == key && matches!(v, "1" | "true" | "")
    })
}

pub fn parse(method: &Method, path: &str, query: &str) -> RequestInfo {
    let mut info = RequestInfo {
        path: path.to_string(),
        ..RequestInfo::default()
    };
    let parts: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|p| !p.is_empty())
        .collect();
    let rest: &[&str] = match parts.as_slice() {
        ["api", "v1", rest @ ..] if !rest.is_empty() => rest,
        ["apis", group, _version, rest @ ..] if !rest.is_empty() => {
            info.group = group.to_string();
            rest
        }
        _ => {
            info.verb = method.as_str().to_ascii_lowercase();
            return info;
        }
    };
    info.is_resource = true;
    let rest: &[&str] = match rest {
        ["namespaces", ns, tail @ ..] if !tail.is_empty() => {
            info.namespace = ns.to_string();
            tail
        }
        other => other,
    };
    info.resource = rest[0].to_string();
    if let Some(n) = rest.get(1) {
        info.name = n.to_string();
    }
    if let Some(s) = rest.get(2) {
        info.subresource = s.to_string();
    }
    // `namespaces/NAME` names the namespace itself.
    if info.resource == "namespaces" && !info.name.is_empty() {
        info.namespace = info.name.clone();
    }
    let collection = info.name.is_empty();
    info.verb = match *method {
        Method::GET | Method::HEAD if collection && query_flag(query, "watch") => "watch",
        Method::GET | Method::HEAD if collection => "list",
        Method::GET | Method::HEAD => "get",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if collection => "deletecollection",
        Method::DELETE => "delete",
        _ => "unknown",
    }
    .to_string();
    info
}

impl RequestInfo {
    /// `list pods`, `get pods/log`, `create selfsubjectaccessreviews`, or
    /// `get /api/v1` for a non-resource path.
    pub fn key(&self) -> String {
        if !self.is_resource {
            return format!("{} {}", self.verb, self.path);
        }
        format!("{} {}", self.verb, self.resource_path())
    }

    /// `pods` or `pods/log`.
    pub fn resource_path(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }

    /// The endpoint class faults are configured by.
    pub fn endpoint_class(&self) -> &str {
        if !self.is_resource {
            return "discovery";
        }
        if self.resource == "pods" && self.subresource == "log" {
            return "log";
        }
        &self.verb
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies() {
        let i = parse(
            &Method::GET,
            "/api/v1/namespaces/default/pods",
            "watch=1&resourceVersion=5",
        );
        assert_eq!(
            (i.verb.as_str(), i.resource.as_str(), i.namespace.as_str()),
            ("watch", "pods", "default")
        );
        let i = parse(&Method::GET, "/api/v1/namespaces/default/pods/p/log", "");
        assert_eq!(
            (i.verb.as_str(), i.key().as_str(), i.endpoint_class()),
            ("get", "get pods/log", "log")
        );
        let i = parse(&Method::GET, "/api/v1/namespaces/kube-system", "");
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.namespace.as_str()),
            ("namespaces", "kube-system", "kube-system")
        );
        let i = parse(
            &Method::DELETE,
            "/api/v1/namespaces/x/pods",
            "labelSelector=a",
        );
        assert_eq!(i.verb, "deletecollection");
        let i = parse(
            &Method::POST,
            "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            "",
        );
        assert_eq!(
            (i.group.as_str(), i.key().as_str()),
            ("authorization.k8s.io", "create selfsubjectaccessreviews")
        );
        let i = parse(&Method::GET, "/api/v1", "");
        assert!(!i.is_resource);
        assert_eq!(i.key(), "get /api/v1");
    }
}
