//! Rows kept until the end of input — a join's right side, a pack's results held for ordered
//! output — packed into one allocation each. A field map costs a hash table, a bucket per
//! field and a string per value (~2 KB for an 8-field process row); packed, the row is its
//! text plus a few bytes, and rows of the same fields share one name list.

use std::collections::HashSet;
use std::sync::Arc;

use crate::event::{Event, Name};
use crate::value::{Atom, Value};

/// An event stored for later: its field names (shared by rows with the same ones) and its
/// values encoded in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Packed {
    names: Arc<[Name]>,
    /// Shared: twin subsearches hand the same rows to several operators.
    data: Arc<[u8]>,
}

const STR: u8 = 0;
const NUM: u8 = 1;
const MANY: u8 = 2;

pub(crate) fn put_len(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

pub(crate) fn put_atom(out: &mut Vec<u8>, a: &Atom) {
    match a {
        Atom::Str(s) => {
            out.push(STR);
            put_len(out, s.len());
            out.extend_from_slice(s.as_bytes());
        }
        Atom::Num(n) => {
            out.push(NUM);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// Reads values back from `data`; `None` on bytes this module did not write (never happens
/// for a `Packed`, but decoding must not panic).
pub(crate) struct Reader<'a> {
    pub(crate) data: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    pub(crate) fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.data.split_first()?;
        self.data = rest;
        Some(b)
    }

    pub(crate) fn len(&mut self) -> Option<usize> {
        let mut n = 0usize;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= usize::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = (self.data.get(..n)?, self.data.get(n..)?);
        self.data = rest;
        Some(head)
    }

    pub(crate) fn f64(&mut self) -> Option<f64> {
        Some(f64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    pub(crate) fn string(&mut self) -> Option<String> {
        let n = self.len()?;
        Some(crate::value::lossy(self.take(n)?).into_owned())
    }

    pub(crate) fn atom(&mut self) -> Option<Atom> {
        let tag = self.byte()?;
        self.atom_of(tag)
    }

    fn atom_of(&mut self, tag: u8) -> Option<Atom> {
        match tag {
            STR => {
                let n = self.len()?;
                Some(Atom::Str(crate::value::Text::from(crate::value::lossy(self.take(n)?))))
            }
            NUM => Some(Atom::Num(f64::from_le_bytes(self.take(8)?.try_into().ok()?))),
            _ => None,
        }
    }

    fn value(&mut self) -> Option<Value> {
        let tag = self.byte()?;
        if tag == MANY {
            let n = self.len()?;
            let mut atoms = Vec::with_capacity(n.min(self.data.len()));
            for _ in 0..n {
                let t = self.byte()?;
                atoms.push(self.atom_of(t)?);
            }
            return Some(Value::Many(atoms));
        }
        self.atom_of(tag).map(Value::One)
    }

    fn skip_atom(&mut self, tag: u8) -> Option<()> {
        let n = if tag == STR { self.len()? } else { 8 };
        self.take(n).map(|_| ())
    }

    fn skip(&mut self) -> Option<()> {
        let tag = self.byte()?;
        if tag == MANY {
            for _ in 0..self.len()? {
                let t = self.byte()?;
                self.skip_atom(t)?;
            }
            return Some(());
        }
        self.skip_atom(tag)
    }
}

impl Packed {
    /// The value of a field, decoded.
    pub fn get(&self, name: &str) -> Option<Value> {
        let at = self.names.iter().position(|n| n == name)?;
        let mut r = Reader { data: &self.data };
        for _ in 0..at {
            r.skip()?;
        }
        r.value()
    }

    /// The fields in order, decoded.
    pub fn fields(&self) -> impl Iterator<Item = (&Name, Value)> + '_ {
        let mut r = Reader { data: &self.data };
        self.names.iter().map_while(move |n| r.value().map(|v| (n, v)))
    }

    pub fn unpack(&self) -> Event {
        let mut ev = Event::with_capacity(self.names.len());
        for (n, v) in self.fields() {
            ev.fields.insert(n.clone(), v);
        }
        ev
    }

    pub fn names(&self) -> &[Name] {
        &self.names
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Bytes this row holds, roughly (its name list is shared with rows of the same fields).
    pub fn heap_bytes(&self) -> usize {
        self.data.len() + 48
    }

    /// The row as bytes for a spill file (`decode` reads it back).
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        put_len(out, self.names.len());
        for n in self.names.iter() {
            put_len(out, n.len());
            out.extend_from_slice(n.as_bytes());
        }
        put_len(out, self.data.len());
        out.extend_from_slice(&self.data);
    }

    /// A row `encode` wrote; `last` is the previous row's name list, shared when equal.
    pub(crate) fn decode(r: &mut Reader<'_>, last: &mut Option<Arc<[Name]>>) -> Option<Packed> {
        let n = r.len()?;
        let mut names = Vec::with_capacity(n.min(r.data.len()));
        for _ in 0..n {
            names.push(Name::from(r.string()?));
        }
        let names = match last {
            Some(l) if **l == *names => l.clone(),
            _ => {
                let shared: Arc<[Name]> = names.into();
                *last = Some(shared.clone());
                shared
            }
        };
        let len = r.len()?;
        Some(Packed { names, data: r.take(len)?.into() })
    }
}

/// Packs rows, sharing the name list of rows with the same fields in the same order.
#[derive(Default)]
pub struct Packer {
    last: Option<Arc<[Name]>>,
    shapes: HashSet<Arc<[Name]>>,
    buf: Vec<u8>,
}

/// Distinct name lists remembered; rows past it get their own list (still correct).
const MAX_SHAPES: usize = 4096;

impl Packer {
    pub fn pack(&mut self, ev: &Event) -> Packed {
        self.buf.clear();
        for v in ev.fields.values() {
            match v {
                Value::One(a) => put_atom(&mut self.buf, a),
                Value::Many(atoms) => {
                    self.buf.push(MANY);
                    put_len(&mut self.buf, atoms.len());
                    atoms.iter().for_each(|a| put_atom(&mut self.buf, a));
                }
            }
        }
        Packed { names: self.names_of(ev), data: self.buf.as_slice().into() }
    }

    fn names_of(&mut self, ev: &Event) -> Arc<[Name]> {
        // Rows of one aggregation come one after another with the same fields.
        if let Some(last) = &self.last {
            if last.len() == ev.fields.len() && last.iter().zip(ev.fields.keys()).all(|(a, b)| a == b) {
                return last.clone();
            }
        }
        let names: Vec<Name> = ev.fields.keys().cloned().collect();
        let shared = match self.shapes.get(names.as_slice()) {
            Some(s) => s.clone(),
            None => {
                let s: Arc<[Name]> = names.into();
                if self.shapes.len() < MAX_SHAPES {
                    self.shapes.insert(s.clone());
                }
                s
            }
        };
        self.last = Some(shared.clone());
        shared
    }
}

/// A row a pass hands to its sink: as built, or already packed by the thread that finished
/// its pipeline (rows kept for later need not be unpacked only to be packed again).
#[derive(Clone, Debug, PartialEq)]
pub enum Row {
    Map(Event),
    Packed(Packed),
}

impl Row {
    pub fn into_event(self) -> Event {
        match self {
            Row::Map(ev) => ev,
            Row::Packed(p) => p.unpack(),
        }
    }

    pub fn into_packed(self, packer: &mut Packer) -> Packed {
        match self {
            Row::Map(ev) => packer.pack(&ev),
            Row::Packed(p) => p,
        }
    }
}

/// Kept packed events as a source: each scan unpacks them again (`map` re-searches what it
/// kept), from memory or from the spill file.
pub struct PackedSource<'a>(pub &'a crate::spill::Kept);

impl crate::exec::EventSource for PackedSource<'_> {
    fn scan(
        &self,
        f: &mut dyn FnMut(Event) -> Result<crate::exec::Flow, crate::exec::ExecError>,
    ) -> Result<(), crate::exec::ExecError> {
        self.0.for_each(&mut |p| f(p.unpack()))
    }
}

/// Subsearch rows for an operator that reads them as events.
pub fn unpack_all(rows: Vec<Vec<Packed>>) -> Vec<Vec<Event>> {
    rows.iter().map(|r| r.iter().map(Packed::unpack).collect()).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_packed_row_gives_back_its_fields_values_and_order() {
        let mut ev = Event::new();
        ev.set("process", "C:\\Windows\\system32\\cmd.exe /c \"whoami\" ünï");
        ev.set("count", 3.0);
        ev.set("empty", "");
        ev.push("users", Atom::Str("alice".into()));
        ev.push("users", Atom::Num(-0.5));
        ev.push("users", Atom::from("x".repeat(300)));
        ev.set("dest", "host-1");
        let mut packer = Packer::default();
        let p = packer.pack(&ev);
        assert_eq!(p.unpack(), ev);
        assert_eq!(p.get("dest"), ev.get("dest").cloned());
        assert_eq!(p.get("users"), ev.get("users").cloned());
        assert_eq!(p.get("count"), Some(Value::One(Atom::Num(3.0))));
        assert_eq!(p.get("nope"), None);
        let names: Vec<&str> = p.fields().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["process", "count", "empty", "users", "dest"]);
        assert_eq!(Row::Packed(p.clone()).into_event(), ev);
        assert_eq!(Row::Map(ev.clone()).into_packed(&mut packer), p);
        assert!(packer.pack(&Event::new()).is_empty());
    }

    #[test]
    fn rows_with_the_same_fields_share_one_name_list() {
        let mut packer = Packer::default();
        let a = packer.pack(&Event::from_pairs(&[("a", "1"), ("b", "2")]));
        let other = packer.pack(&Event::from_pairs(&[("b", "2"), ("a", "1")]));
        let b = packer.pack(&Event::from_pairs(&[("a", "3"), ("b", "4")]));
        assert!(Arc::ptr_eq(&a.names, &b.names));
        assert!(!Arc::ptr_eq(&a.names, &other.names));
        assert_eq!(b.get("b").unwrap().as_str(), "4");
    }

    #[test]
    fn bytes_it_did_not_write_decode_to_nothing_rather_than_panic() {
        let names: Arc<[Name]> = vec![Name::from("a"), Name::from("b")].into();
        for data in
            [vec![], vec![STR, 200], vec![STR, 0xff, 0xff], vec![NUM, 1, 2], vec![MANY, 5, STR, 1, b'x'], vec![9]]
        {
            let p = Packed { names: names.clone(), data: data.into() };
            assert!(p.get("b").is_none());
            assert!(p.unpack().fields.len() <= 1);
        }
    }
}
