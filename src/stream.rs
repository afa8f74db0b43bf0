//! Reading the API's JSON leniently as it streams in: any field of an unexpected type is absent
//! rather than an error, an object's one member is found among others, and a list's items are
//! handed over one at a time, so that a huge answer costs no more memory than a short one.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

/// Reads a field that may be a string, a number, a boolean, null or anything else, never failing:
/// a string, number or boolean is read from its text (`7`, `"7"` and `" 7 "` all make the number
/// 7), and anything else, or text that does not make a `T`, is absent.
pub(crate) fn lenient<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<Option<T>, D::Error> {
    let Loose::Text(text) = Loose::<IgnoredAny>::deserialize(d)? else {
        return Ok(None);
    };
    // Text fields are kept as sent; only a value that does not parse as it is gets trimmed.
    Ok(text.parse().ok().or_else(|| text.trim().parse().ok()))
}

/// Any JSON value, read without regard to its type.
pub(crate) enum Loose<T> {
    /// A string, or a number or boolean as its text.
    Text(String),
    /// An object, read as `T`.
    Object(T),
    /// `null` or an array.
    Nothing,
}

impl<T> Loose<T> {
    pub(crate) fn object(self) -> Option<T> {
        match self {
            Loose::Object(object) => Some(object),
            Loose::Text(_) | Loose::Nothing => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Loose<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Loose<T>, D::Error> {
        d.deserialize_any(LooseVisitor(PhantomData))
    }
}

struct LooseVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for LooseVisitor<T> {
    type Value = Loose<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Loose<T>, E> {
        Ok(Loose::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Loose<T>, E> {
        Ok(Loose::Text(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Loose<T>, E> {
        Ok(Loose::Text(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Loose<T>, E> {
        Ok(Loose::Text(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Loose<T>, E> {
        Ok(Loose::Text(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Loose<T>, E> {
        Ok(Loose::Text(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Loose<T>, E> {
        Ok(Loose::Nothing)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Loose<T>, A::Error> {
        IgnoredAny.visit_seq(seq)?;
        Ok(Loose::Nothing)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Loose<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Loose::Object)
    }
}

/// A JSON array, streamed: each object in it goes to `each` as a `T` as soon as it is read, and
/// anything else is skipped, so only what `each` keeps stays in memory.
pub(crate) struct Items<T, F> {
    each: F,
    item: PhantomData<T>,
}

impl<T, F> Items<T, F> {
    pub(crate) fn new(each: F) -> Items<T, F> {
        Items {
            each,
            item: PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> DeserializeSeed<'de> for Items<T, F> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>, F: FnMut(T)> Visitor<'de> for Items<T, F> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element::<Loose<T>>()? {
            if let Loose::Object(item) = item {
                (self.each)(item);
            }
        }
        Ok(())
    }
}

/// The top of an answer: an object whose member `name` is read with `seed` (only the first one
/// counts; every other member is skipped unread), or, when allowed, a bare array read with `seed`.
pub(crate) struct Member<S> {
    name: &'static str,
    seed: S,
    or_array: bool,
}

impl<S> Member<S> {
    pub(crate) fn new(name: &'static str, seed: S) -> Member<S> {
        Member {
            name,
            seed,
            or_array: false,
        }
    }

    pub(crate) fn or_array(self) -> Member<S> {
        Member {
            or_array: true,
            ..self
        }
    }
}

impl<'de, S: DeserializeSeed<'de>> Visitor<'de> for Member<S> {
    type Value = Option<S::Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object with a \"{}\" member", self.name)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seed = Some(self.seed);
        let mut found = None;
        while let Some(key) = map.next_key::<String>()? {
            match seed.take_if(|_| key == self.name) {
                Some(seed) => found = Some(map.next_value_seed(seed)?),
                None => map.next_value::<IgnoredAny>().map(drop)?,
            }
        }
        Ok(found)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        if !self.or_array {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        self.seed
            .deserialize(SeqAccessDeserializer::new(seq))
            .map(Some)
    }
}

/// Reads `body`, one JSON value and nothing after it, as `top`.
pub(crate) fn read<'de, S: DeserializeSeed<'de>>(
    body: &'de [u8],
    top: Member<S>,
) -> Result<Option<S::Value>, serde_json::Error> {
    let mut reader = serde_json::Deserializer::from_slice(body);
    let found = reader.deserialize_any(top)?;
    reader.end()?;
    Ok(found)
}
