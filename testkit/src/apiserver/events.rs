//! core/v1 Events as the kubelet and the scheduler record them; identical
//! events on one object are folded into one with a growing `count`, like
//! client-go's event correlator does.

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Sim;
use super::objects::now;
use super::store::Kind;

pub struct Source<'a> {
    pub component: &'a str,
    pub host: &'a str,
}

impl Sim {
    /// Records (or bumps) an event about a pod.
    pub fn pod_event(
        &self,
        pod: &Pod,
        typ: &str,
        reason: &str,
        message: &str,
        source: Source<'_>,
        field_path: Option<&str>,
    ) {
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let uid = pod.metadata.uid.clone();
        let index_key = (
            uid.clone().unwrap_or_default(),
            reason.to_string(),
            message.to_string(),
        );
        let existing = self
            .event_index
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&index_key)
            .cloned();
        if let Some(key) = existing {
            let bumped = self.store.update::<Event, _>(Kind::Event, &key, |e| {
                e.count = Some(e.count.unwrap_or(1) + 1);
                e.last_timestamp = Some(now());
                true
            });
            if bumped.is_some() {
                return;
            }
        }
        let t = now();
        // Like the kubelet: the pod name and the time in hex, so names sort
        // in recording order.
        let event_name = format!("{name}.{:x}", monotonic_nanos());
        self.event_index
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(index_key, (ns.clone(), event_name.clone()));
        let event = Event {
            metadata: ObjectMeta {
                name: Some(event_name),
                namespace: Some(ns.clone()),
                uid: Some(super::objects::new_uid()),
                creation_timestamp: Some(t.clone()),
                ..ObjectMeta::default()
            },
            involved_object: ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Pod".into()),
                name: Some(name),
                namespace: Some(ns),
                uid,
                resource_version: pod.metadata.resource_version.clone(),
                field_path: field_path.map(str::to_string),
            },
            reason: Some(reason.into()),
            message: Some(message.into()),
            type_: Some(typ.into()),
            count: Some(1),
            first_timestamp: Some(t.clone()),
            last_timestamp: Some(t),
            source: Some(EventSource {
                component: Some(source.component.into()),
                host: (!source.host.is_empty()).then(|| source.host.to_string()),
            }),
            reporting_component: Some(source.component.into()),
            reporting_instance: Some(source.host.into()),
            ..Event::default()
        };
        if let Ok(v) = serde_json::to_value(&event) {
            let _ = self.store.create(Kind::Event, v);
        }
    }
}

/// Nanoseconds since the epoch, strictly increasing across calls.
fn monotonic_nanos() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static LAST: AtomicU64 = AtomicU64::new(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos() as u64;
    let mut prev = LAST.load(Ordering::Relaxed);
    loop {
        let next = now.max(prev + 1);
        match LAST.compare_exchange(prev, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(p) => prev = p,
        }
    }
}
