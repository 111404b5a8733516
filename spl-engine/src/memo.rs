//! A cache bounded by the bytes it holds. Caches keyed by values that may be unique per event
//! (command lines, GUIDs) must not grow with the input: past its budget one starts over.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

pub struct BoundedMemo<K, V> {
    map: HashMap<K, V, ahash::RandomState>,
    /// What `map` holds, by the sizes given to `insert`.
    bytes: usize,
    budget: usize,
}

impl<K: Hash + Eq, V> BoundedMemo<K, V> {
    pub fn new(budget: usize) -> Self {
        BoundedMemo { map: HashMap::default(), bytes: 0, budget }
    }

    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.map.get(key)
    }

    /// Keep `value` for `key`, counting `size` bytes for the entry (its key and value text and
    /// a fixed cost); everything kept so far is dropped first if the budget would be passed.
    pub fn insert(&mut self, key: K, value: V, size: usize) {
        if self.bytes + size > self.budget {
            self.clear();
        }
        self.bytes += size;
        self.map.insert(key, value);
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The bytes counted for what is kept (never more than the budget, unless one entry is).
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_starts_over_rather_than_pass_its_budget() {
        let mut m: BoundedMemo<String, usize> = BoundedMemo::new(100);
        for i in 0..10 {
            m.insert(format!("k{i}"), i, 30);
            assert!(m.bytes() <= 100);
        }
        // 10 entries of 30 bytes in 100: the last start-over kept k9 only.
        assert_eq!(m.len(), 1);
        assert_eq!(m.get("k9"), Some(&9));
        assert_eq!(m.get("k0"), None);
    }
}
