//! A configurable authorizer: allow/deny rules (deny wins, then allow, then
//! the default). It answers SelfSubjectAccessReviews and is enforced on
//! every resource request, with the real RBAC "forbidden" messages.

use serde_json::{Value, json};

use super::config::{RbacConfig, RbacRule};
use super::requestinfo::RequestInfo;
use super::status::ApiError;

#[derive(Debug, Clone, Default)]
pub struct Attributes {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
}

impl Attributes {
    pub fn from_request(info: &RequestInfo) -> Self {
        Self {
            verb: info.verb.clone(),
            group: info.group.clone(),
            resource: info.resource.clone(),
            subresource: info.subresource.clone(),
            namespace: if info.resource == "namespaces" {
                String::new()
            } else {
                info.namespace.clone()
            },
            name: info.name.clone(),
        }
    }

    fn resource_path(&self) -> String {
        if self.subresource.is_empty() {
            self.resource.clone()
        } else {
            format!("{}/{}", self.resource, self.subresource)
        }
    }
}

fn any_or(list: &[String], value: &str) -> bool {
    list.is_empty() || list.iter().any(|x| x == "*" || x == value)
}

fn rule_matches(rule: &RbacRule, a: &Attributes) -> bool {
    let res = a.resource_path();
    let res_ok = rule.resources.is_empty()
        || rule.resources.iter().any(|r| {
            r == "*"
                || *r == res
                || (a.subresource.is_empty() && *r == a.resource)
                || *r == format!("{}/*", a.resource)
        });
    any_or(&rule.verbs, &a.verb)
        && res_ok
        && any_or(&rule.namespaces, &a.namespace)
        && (rule.names.is_empty() || any_or(&rule.names, &a.name))
}

pub fn allowed(cfg: &RbacConfig, a: &Attributes) -> bool {
    if cfg.deny.iter().any(|r| rule_matches(r, a)) {
        return false;
    }
    if cfg.allow.iter().any(|r| rule_matches(r, a)) {
        return true;
    }
    cfg.default == "allow"
}

/// `pods "x" is forbidden: User "sim" cannot get resource "pods/log" in API
/// group "" in the namespace "default"`
pub fn forbidden(user: &str, a: &Attributes) -> ApiError {
    let scope = if a.namespace.is_empty() {
        "at the cluster scope".to_string()
    } else {
        format!("in the namespace \"{}\"", a.namespace)
    };
    let why = format!(
        "User \"{user}\" cannot {} resource \"{}\" in API group \"{}\" {scope}",
        a.verb,
        a.resource_path(),
        a.group
    );
    let resource = if a.group.is_empty() {
        a.resource.clone()
    } else {
        format!("{}.{}", a.resource, a.group)
    };
    ApiError::forbidden(&resource, &a.name, &why)
}

/// Answers a SelfSubjectAccessReview body (201 with status filled in).
pub fn review(cfg: &RbacConfig, body: &Value) -> Result<Value, ApiError> {
    let spec = &body["spec"];
    let mut out = body.clone();
    if out.get("kind").is_none() {
        out["kind"] = json!("SelfSubjectAccessReview");
        out["apiVersion"] = json!("authorization.k8s.io/v1");
    }
    if out.get("metadata").is_none_or(Value::is_null) {
        out["metadata"] = json!({});
    }
    out["metadata"]["creationTimestamp"] = Value::Null;
    let allowed_now = if let Some(ra) = spec.get("resourceAttributes").filter(|v| v.is_object()) {
        let s = |k: &str| ra[k].as_str().unwrap_or_default().to_string();
        let a = Attributes {
            verb: s("verb"),
            group: s("group"),
            resource: s("resource"),
            subresource: s("subresource"),
            namespace: s("namespace"),
            name: s("name"),
        };
        allowed(cfg, &a)
    } else if spec
        .get("nonResourceAttributes")
        .is_some_and(Value::is_object)
    {
        cfg.default == "allow"
    } else {
        return Err(ApiError::invalid(
            "SelfSubjectAccessReview",
            "",
            &[(
                "spec.resourceAttributes".into(),
                "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified".into(),
                "FieldValueInvalid",
            )],
        ));
    };
    out["status"] = if allowed_now {
        json!({"allowed": true, "reason": "allowed by the imgdup simulated API server's rules"})
    } else {
        json!({"allowed": false})
    };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_wins_and_subresources_match() {
        let cfg = RbacConfig {
            default: "allow".into(),
            allow: vec![],
            deny: vec![
                RbacRule {
                    verbs: vec!["create".into()],
                    resources: vec!["pods".into()],
                    namespaces: vec!["locked".into()],
                    ..RbacRule::default()
                },
                RbacRule {
                    verbs: vec!["get".into()],
                    resources: vec!["pods/log".into()],
                    ..RbacRule::default()
                },
            ],
        };
        let a = |verb: &str, res: &str, sub: &str, ns: &str| Attributes {
            verb: verb.into(),
            resource: res.into(),
            subresource: sub.into(),
            namespace: ns.into(),
            ..Attributes::default()
        };
        assert!(!allowed(&cfg, &a("create", "pods", "", "locked")));
        assert!(allowed(&cfg, &a("create", "pods", "", "default")));
        assert!(!allowed(&cfg, &a("get", "pods", "log", "default")));
        assert!(allowed(&cfg, &a("get", "pods", "", "default")));
        let e = forbidden("sim", &a("create", "pods", "", "locked"));
        assert_eq!(
            e.message,
            "pods is forbidden: User \"sim\" cannot create resource \"pods\" in API group \"\" in the namespace \"locked\""
        );
    }
}
