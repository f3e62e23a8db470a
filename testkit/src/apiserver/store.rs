//! The object store: JSON objects per kind, one global resourceVersion (like
//! etcd's revision), and a bounded history of changes that watches resume
//! from. Writers notify watchers through a `tokio::sync::watch` of the
//! newest resourceVersion.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tokio::sync::watch;

use super::status::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Pod,
    Node,
}

impl Kind {
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Pod => "pods",
            Kind::Node => "nodes",
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Kind::Pod => "Pod",
            Kind::Node => "Node",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

#[derive(Debug, Clone)]
pub struct Change {
    pub rv: u64,
    pub kind: Kind,
    pub typ: ChangeType,
    pub object: Arc<Value>,
    /// The object before a MODIFIED (so selector watches can turn it into
    /// ADDED or DELETED).
    pub prev: Option<Arc<Value>>,
}

pub type Key = (String, String);

#[derive(Default)]
pub struct State {
    pub rv: u64,
    objects: BTreeMap<Kind, BTreeMap<Key, Arc<Value>>>,
    history: VecDeque<Change>,
    /// Changes with rv > this are all in `history`.
    compacted: u64,
    cap: usize,
}

pub struct Store {
    state: Mutex<State>,
    notify: watch::Sender<u64>,
}

pub fn key_of(obj: &Value) -> Key {
    let m = &obj["metadata"];
    (
        m["namespace"].as_str().unwrap_or_default().to_string(),
        m["name"].as_str().unwrap_or_default().to_string(),
    )
}

impl Store {
    pub fn new(history: usize) -> Self {
        Self {
            state: Mutex::new(State {
                rv: 1,
                cap: history.max(1),
                ..State::default()
            }),
            notify: watch::channel(1).0,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, mut st: MutexGuard<'_, State>, change: Change) {
        let rv = change.rv;
        st.history.push_back(change);
        while st.history.len() > st.cap {
            if let Some(old) = st.history.pop_front() {
                st.compacted = old.rv;
            }
        }
        drop(st);
        self.notify.send_replace(rv);
    }

    /// Adds an object (its metadata.resourceVersion is set). 409 if it exists.
    pub fn create(&self, kind: Kind, mut obj: Value) -> Result<Arc<Value>, ApiError> {
        let key = key_of(&obj);
        let mut st = self.lock();
        if st.objects.get(&kind).is_some_and(|m| m.contains_key(&key)) {
            return Err(ApiError::already_exists(kind.plural(), &key.1));
        }
        st.rv += 1;
        let rv = st.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        let obj = Arc::new(obj);
        st.objects.entry(kind).or_default().insert(key, obj.clone());
        let change = Change {
            rv,
            kind,
            typ: ChangeType::Added,
            object: obj.clone(),
            prev: None,
        };
        self.record(st, change);
        Ok(obj)
    }

    /// Changes an object in place through its typed form. `f` returns false
    /// to leave it unchanged. None when the object does not exist.
    pub fn update<T, F>(&self, kind: Kind, key: &Key, f: F) -> Option<T>
    where
        T: DeserializeOwned + Serialize,
        F: FnOnce(&mut T) -> bool,
    {
        let st = self.lock();
        let prev = st.objects.get(&kind)?.get(key)?.clone();
        let mut typed: T = serde_json::from_value((*prev).clone()).ok()?;
        if !f(&mut typed) {
            return Some(typed);
        }
        let obj = serde_json::to_value(&typed).ok()?;
        let obj = self.put_modified(st, kind, key, prev, obj);
        serde_json::from_value((*obj).clone()).ok()
    }

    /// Stores a new state of an existing object under the next
    /// resourceVersion and records the MODIFIED change for watches.
    fn put_modified(
        &self,
        mut st: MutexGuard<'_, State>,
        kind: Kind,
        key: &Key,
        prev: Arc<Value>,
        mut obj: Value,
    ) -> Arc<Value> {
        st.rv += 1;
        let rv = st.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        let obj = Arc::new(obj);
        st.objects
            .entry(kind)
            .or_default()
            .insert(key.clone(), obj.clone());
        let change = Change {
            rv,
            kind,
            typ: ChangeType::Modified,
            object: obj.clone(),
            prev: Some(prev),
        };
        self.record(st, change);
        obj
    }

    /// Removes an object; the DELETED event carries its last state with the
    /// deletion's resourceVersion.
    pub fn delete(&self, kind: Kind, key: &Key) -> Option<Arc<Value>> {
        let mut st = self.lock();
        let old = st.objects.get_mut(&kind)?.remove(key)?;
        st.rv += 1;
        let rv = st.rv;
        let mut obj = (*old).clone();
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        let obj = Arc::new(obj);
        let change = Change {
            rv,
            kind,
            typ: ChangeType::Deleted,
            object: obj.clone(),
            prev: Some(old),
        };
        self.record(st, change);
        Some(obj)
    }

    pub fn get(&self, kind: Kind, key: &Key) -> Option<Arc<Value>> {
        self.lock().objects.get(&kind)?.get(key).cloned()
    }

    pub fn get_typed<T: DeserializeOwned>(&self, kind: Kind, key: &Key) -> Option<T> {
        let v = self.get(kind, key)?;
        serde_json::from_value((*v).clone()).ok()
    }

    /// Objects of a kind (in one namespace when given), sorted by key, and
    /// the current resourceVersion.
    pub fn list(&self, kind: Kind, ns: Option<&str>) -> (Vec<Arc<Value>>, u64) {
        let st = self.lock();
        let items = match st.objects.get(&kind) {
            None => Vec::new(),
            Some(m) => match ns {
                None => m.values().cloned().collect(),
                Some(ns) => m
                    .range((ns.to_string(), String::new())..)
                    .take_while(|((n, _), _)| n == ns)
                    .map(|(_, v)| v.clone())
                    .collect(),
            },
        };
        (items, st.rv)
    }

    pub fn list_typed<T: DeserializeOwned>(&self, kind: Kind, ns: Option<&str>) -> Vec<T> {
        self.list(kind, ns)
            .0
            .iter()
            .filter_map(|v| serde_json::from_value((**v).clone()).ok())
            .collect()
    }

    /// Changes after `rv`; Err(oldest available - 1) when compacted away.
    pub fn changes_since(&self, rv: u64) -> Result<Vec<Change>, u64> {
        let st = self.lock();
        if rv < st.compacted {
            return Err(st.compacted);
        }
        let start = st.history.partition_point(|c| c.rv <= rv);
        Ok(st.history.range(start..).cloned().collect())
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.notify.subscribe()
    }
}
