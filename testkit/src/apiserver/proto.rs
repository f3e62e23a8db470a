//! Just enough of the Kubernetes protobuf encoding to read what kubectl
//! sends as protobuf: `kubectl auth can-i` posts its SelfSubjectAccessReview
//! as `application/vnd.kubernetes.protobuf` (a `k8s\0` magic, then a
//! runtime.Unknown envelope around the object). Answers stay JSON, which
//! kubectl accepts. `kubectl debug node/X` creates its pod the same way
//! ([`pod`]).

mod pod;

use prost::Message;
use serde_json::{Value, json};

#[derive(Clone, PartialEq, Message)]
struct TypeMeta {
    #[prost(string, optional, tag = "1")]
    api_version: Option<String>,
    #[prost(string, optional, tag = "2")]
    kind: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct Unknown {
    #[prost(message, optional, tag = "1")]
    type_meta: Option<TypeMeta>,
    #[prost(bytes = "vec", optional, tag = "2")]
    raw: Option<Vec<u8>>,
}

#[derive(Clone, PartialEq, Message)]
struct ResourceAttributes {
    #[prost(string, optional, tag = "1")]
    namespace: Option<String>,
    #[prost(string, optional, tag = "2")]
    verb: Option<String>,
    #[prost(string, optional, tag = "3")]
    group: Option<String>,
    #[prost(string, optional, tag = "4")]
    version: Option<String>,
    #[prost(string, optional, tag = "5")]
    resource: Option<String>,
    #[prost(string, optional, tag = "6")]
    subresource: Option<String>,
    #[prost(string, optional, tag = "7")]
    name: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct NonResourceAttributes {
    #[prost(string, optional, tag = "1")]
    path: Option<String>,
    #[prost(string, optional, tag = "2")]
    verb: Option<String>,
}

#[derive(Clone, PartialEq, Message)]
struct SelfSubjectAccessReviewSpec {
    #[prost(message, optional, tag = "1")]
    resource_attributes: Option<ResourceAttributes>,
    #[prost(message, optional, tag = "2")]
    non_resource_attributes: Option<NonResourceAttributes>,
}

#[derive(Clone, PartialEq, Message)]
struct SelfSubjectAccessReview {
    #[prost(message, optional, tag = "2")]
    spec: Option<SelfSubjectAccessReviewSpec>,
}

const MAGIC: &[u8] = b"k8s\x00";

pub fn is_protobuf(content_type: &str) -> bool {
    content_type.starts_with("application/vnd.kubernetes.protobuf")
}

/// The payload of a protobuf envelope (`k8s\0` magic, runtime.Unknown).
fn unwrap_envelope(body: &[u8]) -> Result<Vec<u8>, String> {
    let inner = body
        .strip_prefix(MAGIC)
        .ok_or("missing the k8s protobuf magic")?;
    let env = Unknown::decode(inner).map_err(|e| e.to_string())?;
    Ok(env.raw.unwrap_or_default())
}

/// A protobuf Pod as its JSON form (the fields `kubectl debug node/X` sets).
pub fn pod(body: &[u8]) -> Result<Value, String> {
    pod::to_json(&unwrap_envelope(body)?)
}

/// A protobuf SelfSubjectAccessReview as its JSON form.
pub fn self_subject_access_review(body: &[u8]) -> Result<Value, String> {
    let inner = body
        .strip_prefix(MAGIC)
        .ok_or("missing the k8s protobuf magic")?;
    let env = Unknown::decode(inner).map_err(|e| e.to_string())?;
    let raw = env.raw.unwrap_or_default();
    let r = SelfSubjectAccessReview::decode(raw.as_slice()).map_err(|e| e.to_string())?;
    let spec = r.spec.unwrap_or_default();
    let mut out = json!({"kind": "SelfSubjectAccessReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {}, "spec": {}});
    if let Some(a) = spec.resource_attributes {
        out["spec"]["resourceAttributes"] = json!({
            "namespace": a.namespace.unwrap_or_default(),
            "verb": a.verb.unwrap_or_default(),
            "group": a.group.unwrap_or_default(),
            "version": a.version.unwrap_or_default(),
            "resource": a.resource.unwrap_or_default(),
            "subresource": a.subresource.unwrap_or_default(),
            "name": a.name.unwrap_or_default(),
        });
    }
    if let Some(n) = spec.non_resource_attributes {
        out["spec"]["nonResourceAttributes"] =
            json!({"path": n.path.unwrap_or_default(), "verb": n.verb.unwrap_or_default()});
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_an_envelope() {
        let review = SelfSubjectAccessReview {
            spec: Some(SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    namespace: Some("default".into()),
                    verb: Some("create".into()),
                    resource: Some("pods".into()),
                    ..ResourceAttributes::default()
                }),
                non_resource_attributes: None,
            }),
        };
        let env = Unknown {
            type_meta: None,
            raw: Some(review.encode_to_vec()),
        };
        let mut body = MAGIC.to_vec();
        body.extend(env.encode_to_vec());
        let v = self_subject_access_review(&body).unwrap();
        assert_eq!(v["spec"]["resourceAttributes"]["verb"], "create");
        assert_eq!(v["spec"]["resourceAttributes"]["namespace"], "default");
    }
}
