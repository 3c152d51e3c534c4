//! "Did you mean": the closest of a set of ids to a misspelt one, by edit distance, and the
//! index that keeps the search cheap over many ids. Pure string work beneath every stage: the
//! extractors suggest providers, categories and rule names, the model suggests node ids, and
//! evaluation and the reports suggest ids too.

use std::collections::BTreeMap;

/// "Did you mean" for misspelt ids. The same id is usually misspelt many times: its closest node
/// is searched for once, then kept up to date as nodes are added (a new node can only be a closer
/// match), rather than searched for again over every node. The search itself runs the edit
/// distance only on ids that share enough character pairs with the misspelt one to be within
/// reach, so a repository with many nodes and many typos is not quadratic.
///
/// A hostile manifest can still make every id pass that filter (thousands of ids of one repeated
/// letter): all searches of one model share a [`SEARCH_BUDGET`] of work, after which references
/// are reported without a suggestion.
#[derive(Debug)]
pub(crate) struct Suggestions {
    /// Misspelt id -> the closest node id so far and its distance.
    best: BTreeMap<String, Option<(usize, String)>>,
    /// Every node id, built on the first search.
    index: Option<PairIndex>,
    /// Work left: index entries visited and edit-distance cells computed.
    budget: u64,
    /// Misspelt id -> the first id it is a swap of two adjacent characters of.
    swapped: BTreeMap<String, Option<String>>,
}

impl Default for Suggestions {
    fn default() -> Suggestions {
        Suggestions {
            best: BTreeMap::new(),
            index: None,
            budget: SEARCH_BUDGET,
            swapped: BTreeMap::new(),
        }
    }
}

/// Work all "did you mean" searches over one set of ids may do, in index entries visited and
/// edit-distance cells: far more than hundreds of typos over thousands of real ids need, and
/// a fraction of a second at most.
pub const SEARCH_BUDGET: u64 = 20_000_000;

impl Suggestions {
    pub(crate) fn closest<'a>(
        &mut self,
        id: &str,
        ids: impl Iterator<Item = &'a str>,
    ) -> Option<&str> {
        let index = self.index.get_or_insert_with(|| {
            let mut index = PairIndex::default();
            for id in ids {
                index.add(id);
            }
            index
        });
        let budget = &mut self.budget;
        self.best
            .entry(id.to_string())
            .or_insert_with(|| {
                index
                    .closest(id, budget)
                    .map(|(distance, candidate)| (distance, candidate.to_string()))
            })
            .as_ref()
            .map(|(_, candidate)| candidate.as_str())
    }

    /// The first of `ids` that `id` is a swap of two adjacent characters of (`sendgird` for
    /// `sendgrid`). The edit distance counts a swap as two edits, so a word one letter away
    /// (`sendbird`) would be suggested before the one the writer meant; a swap is the commonest
    /// typo, and is looked for first. Each comparison is paid from the shared budget.
    pub(crate) fn transposed<'a>(
        &mut self,
        id: &str,
        ids: impl Iterator<Item = &'a str>,
    ) -> Option<&str> {
        if !self.swapped.contains_key(id) {
            let mut found = None;
            for candidate in ids {
                let cost = candidate.len() as u64 + 1;
                if cost > self.budget {
                    self.budget = 0;
                    break;
                }
                self.budget -= cost;
                if is_swap(id, candidate) {
                    found = Some(candidate.to_string());
                    break;
                }
            }
            self.swapped.insert(id.to_string(), found);
        }
        self.swapped.get(id).and_then(Option::as_deref)
    }

    pub(crate) fn node_added(&mut self, added: &str) {
        if let Some(index) = &mut self.index {
            index.add(added);
        }
        for (id, best) in &mut self.best {
            if let Some((distance, candidate)) =
                closest_with_distance(id, std::iter::once(added), &mut self.budget)
                && best
                    .as_ref()
                    .is_none_or(|(d, c)| (distance, candidate) < (*d, c.as_str()))
            {
                *best = Some((distance, candidate.to_string()));
            }
        }
    }
}

/// True when `b` is `a` with two adjacent, different characters swapped.
fn is_swap(a: &str, b: &str) -> bool {
    if a.len() != b.len() || a == b {
        return false;
    }
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() != b.len() {
        return false;
    }
    let differ: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).take(3).collect();
    matches!(differ.as_slice(), [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i])
}

/// Node ids by the pairs of adjacent characters they contain.
#[derive(Debug, Default)]
struct PairIndex {
    /// Each id and its length in characters.
    ids: Vec<(String, usize)>,
    known: std::collections::HashSet<String>,
    /// Character pair -> (id index, how often the pair occurs in it).
    postings: std::collections::HashMap<(char, char), Vec<(u32, u16)>>,
}

impl PairIndex {
    fn add(&mut self, id: &str) {
        if !self.known.insert(id.to_string()) {
            return;
        }
        let index = u32::try_from(self.ids.len()).unwrap_or(u32::MAX);
        self.ids.push((id.to_string(), id.chars().count()));
        for (pair, count) in pairs(id) {
            self.postings.entry(pair).or_default().push((index, count));
        }
    }

    /// The same answer as [`closest_with_distance`] over every id. By the q-gram lemma, two
    /// strings within edit distance `d` share at least `max(m, n) - 1 - 2d` character pairs, so
    /// ids sharing fewer are skipped without computing their distance.
    fn closest(&self, id: &str, budget: &mut u64) -> Option<(usize, &str)> {
        let length = id.chars().count();
        let mut shared = vec![0usize; self.ids.len()];
        for (pair, count) in pairs(id) {
            let postings = self.postings.get(&pair).map_or(&[][..], Vec::as_slice);
            let cost = postings.len() as u64;
            if cost > *budget {
                *budget = 0;
                return None;
            }
            *budget -= cost;
            for (index, theirs) in postings {
                if let Some(slot) = shared.get_mut(*index as usize) {
                    *slot += usize::from(count.min(*theirs));
                }
            }
        }
        let candidates = self
            .ids
            .iter()
            .zip(&shared)
            .filter(|((candidate, their_length), shared)| {
                // The limit as `closest_with_distance` sets it (from byte lengths).
                let limit = (candidate.len().max(id.len()) / 3).max(1);
                length.abs_diff(*their_length) <= limit
                    && **shared + 1 + 2 * limit >= length.max(*their_length)
            })
            .map(|((candidate, _), _)| candidate.as_str());
        closest_with_distance(id, candidates, budget)
    }
}

/// The pairs of adjacent characters of `text`, with how often each occurs.
fn pairs(text: &str) -> BTreeMap<(char, char), u16> {
    let mut pairs = BTreeMap::new();
    let mut chars = text.chars();
    let Some(mut previous) = chars.next() else {
        return pairs;
    };
    for next in chars {
        let count: &mut u16 = pairs.entry((previous, next)).or_default();
        *count = count.saturating_add(1);
        previous = next;
    }
    pairs
}

/// The closest of `candidates` by edit distance, if it is close enough to be a typo.
///
/// Called once per unresolved reference over every node id, so it must stay cheap: candidates
/// whose length alone rules them out are skipped, and the distance stops counting past the limit.
pub fn closest_id<'a>(id: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    closest_id_within(id, candidates, &mut SEARCH_BUDGET.clone())
}

/// [`closest_id`] spending at most `budget` (edit-distance cells), shared by a caller's many
/// searches: when it runs out, the candidates left are not compared.
pub fn closest_id_within<'a>(
    id: &str,
    candidates: impl Iterator<Item = &'a str>,
    budget: &mut u64,
) -> Option<&'a str> {
    closest_with_distance(id, candidates, budget).map(|(_, candidate)| candidate)
}

/// [`closest_id_within`] with its edit distance.
fn closest_with_distance<'a>(
    id: &str,
    candidates: impl Iterator<Item = &'a str>,
    budget: &mut u64,
) -> Option<(usize, &'a str)> {
    let id_chars: Vec<char> = id.chars().collect();
    let mut row = Vec::new();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        // The full table is the most a comparison costs; the count stops earlier when it can.
        let cost = (id_chars.len() as u64 + 1).saturating_mul(candidate.len() as u64 + 1);
        if cost > *budget {
            *budget = 0;
            break;
        }
        *budget -= cost;
        let limit = (candidate.len().max(id.len()) / 3).max(1);
        let Some(distance) = edit_distance_within(&id_chars, candidate, limit, &mut row) else {
            continue;
        };
        if best.is_none_or(|current| (distance, candidate) < current) {
            best = Some((distance, candidate));
        }
    }
    best
}

/// Levenshtein distance over characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    edit_distance_within(&a, b, usize::MAX, &mut Vec::new()).unwrap_or(usize::MAX)
}

/// Edit distance over characters, a swap of two neighbours counting as one edit (optimal string
/// alignment): `emial` is one edit from `email`, as a typist sees it. Rule data's did-you-mean for
/// data categories ranks by it; ids are ranked by [`edit_distance`] with swaps found first.
pub fn swap_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            let mut best = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && *ca == b[j - 1] && a[i - 1] == *cb {
                best = best.min(before[j - 1] + 1);
            }
            current[j + 1] = best;
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

/// The edit distance of `a` and `b` if it is at most `limit`. A row's minimum never decreases
/// further down, so the count stops as soon as it passes the limit.
fn edit_distance_within(a: &[char], b: &str, limit: usize, row: &mut Vec<usize>) -> Option<usize> {
    let b_len = b.chars().count();
    if a.len().abs_diff(b_len) > limit {
        return None;
    }
    row.clear();
    row.extend(0..=b_len);
    for (i, ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        let mut row_min = row[0];
        for (j, cb) in b.chars().enumerate() {
            let substitution = diagonal + usize::from(*ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j + 1] + 1).min(row[j] + 1);
            row_min = row_min.min(row[j + 1]);
        }
        if row_min > limit {
            return None;
        }
    }
    row.get(b_len)
        .copied()
        .filter(|distance| *distance <= limit)
}

#[cfg(test)]
mod tests {
    use super::{Suggestions, closest_id, is_swap};
    use proptest::prelude::*;

    /// A swap of two adjacent letters is found before a closer word by edit distance.
    #[test]
    fn a_swap_of_adjacent_letters_is_suggested_first() {
        assert!(is_swap("sendgird", "sendgrid"));
        assert!(!is_swap("sendgird", "sendbird"));
        assert!(!is_swap("sendgrid", "sendgrid"));
        assert!(!is_swap("abcd", "badc"));
        assert!(is_swap("é-a", "-éa"));
        let mut suggestions = Suggestions::default();
        let ids = ["sendbird", "sendgrid"];
        assert_eq!(
            suggestions.transposed("sendgird", ids.iter().copied()),
            Some("sendgrid")
        );
        assert_eq!(
            suggestions.closest("sendgird", ids.iter().copied()),
            Some("sendbird")
        );
    }

    proptest! {
        /// A suggestion kept up to date as ids are added equals a search over every id.
        #[test]
        fn suggestions_follow_added_nodes(
            first in prop::collection::btree_set("[a-dé-]{1,12}", 0..24),
            added in prop::collection::vec("[a-dé-]{1,12}", 0..12),
            misspelt in prop::collection::vec("[a-dé-]{1,12}", 1..4),
        ) {
            let mut ids = first.clone();
            let mut suggestions = Suggestions::default();
            for id in &misspelt {
                suggestions.closest(id, ids.iter().map(String::as_str));
            }
            for id in &added {
                suggestions.node_added(id);
                ids.insert(id.clone());
            }
            for id in &misspelt {
                let kept = suggestions.closest(id, std::iter::empty()).map(str::to_string);
                let searched = closest_id(id, ids.iter().map(String::as_str)).map(str::to_string);
                prop_assert_eq!(kept, searched);
            }
        }
    }
}
