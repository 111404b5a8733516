//! An event (or result row): an ordered map of field name → value. Field order is the order
//! fields were first set, which is what `table`-less output shows.

use indexmap::IndexMap;

use crate::value::{Atom, Value};

/// Field maps are hashed on every lookup: aHash is several times cheaper than the default
/// SipHash and, being randomly keyed too, still resists collision floods from attacker-chosen
/// field names (JSON keys).
pub type FieldMap = IndexMap<Name, Value, FieldHasher>;

/// aHash keyed once per process: drawing new random keys for every event and row (what
/// `ahash::RandomState::default` does) cost more than some of their lookups. Insertion order,
/// not hash order, is what a map's iteration gives, so shared keys leak nothing between maps.
#[derive(Clone, Debug)]
pub struct FieldHasher(ahash::RandomState);

static FIELD_KEYS: std::sync::LazyLock<ahash::RandomState> = std::sync::LazyLock::new(ahash::RandomState::new);

impl Default for FieldHasher {
    fn default() -> Self {
        FieldHasher(FIELD_KEYS.clone())
    }
}

impl std::hash::BuildHasher for FieldHasher {
    type Hasher = ahash::AHasher;

    fn build_hasher(&self) -> ahash::AHasher {
        self.0.build_hasher()
    }
}

/// A field name: inline up to 24 bytes (nearly every name), so events and rows do not allocate
/// one string per field.
pub type Name = compact_str::CompactString;

/// A field name that remembers where an event last held it. Events of one kind (the rows of
/// a data model, the records of one EventID) hold their fields in the same order, so a look-up
/// through it mostly compares one name instead of hashing it and probing the map. The hint is
/// an atomic only so that matchers stay shareable between threads; any value is safe.
#[derive(Debug)]
pub struct FieldRef {
    name: String,
    hint: std::sync::atomic::AtomicU32,
}

impl FieldRef {
    pub fn new(name: impl Into<String>) -> FieldRef {
        FieldRef { name: name.into(), hint: std::sync::atomic::AtomicU32::new(u32::MAX) }
    }
}

impl Clone for FieldRef {
    fn clone(&self) -> Self {
        FieldRef::new(self.name.clone())
    }
}

impl std::ops::Deref for FieldRef {
    type Target = String;
    fn deref(&self) -> &String {
        &self.name
    }
}

impl PartialEq<str> for FieldRef {
    fn eq(&self, other: &str) -> bool {
        self.name == other
    }
}

impl std::fmt::Display for FieldRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl From<String> for FieldRef {
    fn from(name: String) -> Self {
        FieldRef::new(name)
    }
}

impl From<&str> for FieldRef {
    fn from(name: &str) -> Self {
        FieldRef::new(name)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event {
    pub fields: FieldMap,
}

impl Event {
    pub fn new() -> Self {
        Event::default()
    }

    /// An event with room for `n` fields (a row whose width is known: no regrowth, no slack).
    pub fn with_capacity(n: usize) -> Self {
        Event { fields: FieldMap::with_capacity_and_hasher(n, Default::default()) }
    }

    /// An event of text fields; a name given twice becomes multivalue (handy in tests).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Event {
        let mut e = Event::new();
        for (k, v) in pairs {
            e.push(k, Atom::from(*v));
        }
        e
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// `get` through a `FieldRef`: first at the index where it was found last.
    pub fn get_ref(&self, field: &FieldRef) -> Option<&Value> {
        use std::sync::atomic::Ordering::Relaxed;
        let hint = field.hint.load(Relaxed) as usize;
        if let Some((k, v)) = self.fields.get_index(hint) {
            if k.as_str() == field.name {
                return Some(v);
            }
        }
        let (i, _, v) = self.fields.get_full(field.name.as_str())?;
        field.hint.store(u32::try_from(i).unwrap_or(u32::MAX), Relaxed);
        Some(v)
    }

    /// First value of a field as text.
    pub fn get_str(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        self.fields.get(name).map(|v| v.first().as_str())
    }

    pub fn set(&mut self, name: impl Into<Name>, value: impl Into<Value>) {
        self.fields.insert(name.into(), value.into());
    }

    /// Set or, for `None`, remove (assigning null removes a field in Splunk).
    pub fn set_opt(&mut self, name: &str, value: Option<Value>) {
        match value {
            Some(v) => {
                if let Some(slot) = self.fields.get_mut(name) {
                    *slot = v;
                } else {
                    self.fields.insert(Name::from(name), v);
                }
            }
            None => {
                self.fields.shift_remove(name);
            }
        }
    }

    /// Append a value, turning the field multivalue when it already exists.
    pub fn push(&mut self, name: &str, atom: Atom) {
        self.push_named(Name::from(name), atom)
    }

    /// `push` with the name already made (one hash lookup, no copy of the name).
    pub fn push_named(&mut self, name: Name, atom: Atom) {
        match self.fields.entry(name) {
            indexmap::map::Entry::Vacant(slot) => {
                slot.insert(Value::One(atom));
            }
            indexmap::map::Entry::Occupied(mut slot) => {
                let v = slot.get_mut();
                let mut atoms = std::mem::replace(v, Value::Many(Vec::new())).into_atoms();
                atoms.push(atom);
                *v = Value::Many(atoms);
            }
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        self.fields.shift_remove(name)
    }

    /// `_time` in epoch seconds.
    pub fn time(&self) -> Option<f64> {
        self.get("_time").and_then(|v| v.first().to_num())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_ref_finds_what_get_finds_whatever_the_events_layout() {
        let f = FieldRef::new("user");
        let events = [
            Event::from_pairs(&[("a", "1"), ("user", "alice")]),
            Event::from_pairs(&[("user", "bob"), ("a", "2")]),
            Event::from_pairs(&[("a", "3")]),
            Event::from_pairs(&[("a", "4"), ("b", "5"), ("c", "6")]),
            Event::from_pairs(&[("a", "7"), ("user", "carol")]),
            Event::new(),
        ];
        // Twice over: the hint then points at the last event's index, right or wrong.
        for ev in events.iter().chain(&events) {
            assert_eq!(ev.get_ref(&f), ev.get("user"), "{ev:?}");
        }
        // A clone starts without a hint; the name reads as the name.
        let g = f.clone();
        assert_eq!(g.as_str(), "user");
        assert!(*g == *"user");
        assert_eq!(events[1].get_ref(&g), events[1].get("user"));
    }
}
