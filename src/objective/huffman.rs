//! The Huffman tree of hierarchical softmax, built as word2vec.c's `CreateBinaryTree` builds it.
//!
//! Words are leaves; the `V − 1` inner nodes each own one output vector. A word's probability
//! is the product, over the inner nodes on its path from the root, of `σ(h·u_n)` where the path
//! turns to the branch coded 0 and `σ(−h·u_n)` where it turns to the branch coded 1, so the
//! probabilities of all words sum to 1 and frequent words have short paths (O(log V) steps).
//!
//! Construction: counts sorted in descending order (the vocabulary's order) are merged from the
//! two rarest, taking a leaf over an inner node only when it is strictly rarer, exactly as
//! word2vec.c does; so equal counts give the same tree every time, and the same tree as the C
//! tool. Inner node `V + a` (the `a`-th merge) is output row `a`; the root is row `V − 2`.

/// Codes and paths of every word.
#[derive(Clone, Debug)]
pub struct Huffman {
    codes: Vec<u8>,
    paths: Vec<u32>,
    offsets: Vec<u32>,
}

impl Huffman {
    /// Builds the tree for words with `counts` (descending, as the vocabulary orders them).
    /// Fewer than two words give no inner node and empty paths.
    pub fn new(counts: &[u64]) -> Self {
        let v = counts.len();
        if v < 2 {
            return Huffman {
                codes: vec![],
                paths: vec![],
                offsets: vec![0; v + 1],
            };
        }
        let mut count: Vec<u64> = counts.to_vec();
        count.resize(2 * v, u64::MAX);
        let mut parent = vec![0usize; 2 * v];
        let mut binary = vec![0u8; 2 * v];
        // pos1 walks the leaves from the rarest up; pos2 walks the inner nodes in creation order.
        let (mut pos1, mut pos2) = (v as isize - 1, v);
        for a in 0..v - 1 {
            let mut pick = || {
                if pos1 >= 0 && count[pos1 as usize] < count[pos2] {
                    pos1 -= 1;
                    (pos1 + 1) as usize
                } else {
                    pos2 += 1;
                    pos2 - 1
                }
            };
            let min1 = pick();
            let min2 = pick();
            count[v + a] = count[min1].saturating_add(count[min2]);
            parent[min1] = v + a;
            parent[min2] = v + a;
            binary[min2] = 1;
        }
        let root = 2 * v - 2;
        let (mut codes, mut paths, mut offsets) = (Vec::new(), Vec::new(), vec![0u32]);
        let mut up_codes = Vec::new();
        let mut up_nodes = Vec::new();
        for w in 0..v {
            up_codes.clear();
            up_nodes.clear();
            let mut b = w;
            while b != root {
                up_codes.push(binary[b]);
                b = parent[b];
                up_nodes.push((b - v) as u32);
            }
            // Root first: the node where each step is taken, and the branch taken there.
            codes.extend(up_codes.iter().rev());
            paths.extend(up_nodes.iter().rev());
            offsets.push(codes.len() as u32);
        }
        Huffman {
            codes,
            paths,
            offsets,
        }
    }

    /// Number of inner nodes (output rows): `V − 1`, or 0 for fewer than two words.
    pub fn inner_nodes(&self) -> usize {
        (self.offsets.len() - 1).saturating_sub(1)
    }

    /// The longest path (the depth of the tree).
    pub fn max_depth(&self) -> usize {
        self.offsets
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(0)
    }

    /// The branch codes of word `w`, root first.
    pub fn code(&self, w: usize) -> &[u8] {
        &self.codes[self.offsets[w] as usize..self.offsets[w + 1] as usize]
    }

    /// The inner nodes (output rows) on word `w`'s path, root first.
    pub fn path(&self, w: usize) -> &[u32] {
        &self.paths[self.offsets[w] as usize..self.offsets[w + 1] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_paths_match_a_hand_built_tree() {
        // Counts 4, 3, 2, 1. Merges: (1, 2) -> node 0 (count 3); the leaf of count 3 is not
        // strictly rarer than node 0, so node 0 and that leaf -> node 1 (6); then 4 and node 1
        // -> node 2, the root. Second-picked child of each merge takes code 1.
        let h = Huffman::new(&[4, 3, 2, 1]);
        assert_eq!(h.inner_nodes(), 3);
        assert_eq!(h.max_depth(), 3);
        assert_eq!((h.code(0), h.path(0)), (&[0u8][..], &[2u32][..]));
        assert_eq!((h.code(1), h.path(1)), (&[1u8, 1][..], &[2u32, 1][..]));
        assert_eq!(
            (h.code(2), h.path(2)),
            (&[1u8, 0, 1][..], &[2u32, 1, 0][..])
        );
        assert_eq!(
            (h.code(3), h.path(3)),
            (&[1u8, 0, 0][..], &[2u32, 1, 0][..])
        );
    }

    #[test]
    fn codes_are_prefix_free_and_huffman_optimal_in_length() {
        let counts: Vec<u64> = (1..=300u64).rev().map(|i| i * i % 997 + 1).collect();
        let mut counts = counts;
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let h = Huffman::new(&counts);
        let words: Vec<Vec<u8>> = (0..counts.len()).map(|w| h.code(w).to_vec()).collect();
        for (i, a) in words.iter().enumerate() {
            for (j, b) in words.iter().enumerate() {
                assert!(i == j || !b.starts_with(a), "code {i} is a prefix of {j}");
            }
        }
        // Kraft equality: a full binary tree.
        let kraft: f64 = words.iter().map(|c| 0.5f64.powi(c.len() as i32)).sum();
        assert!((kraft - 1.0).abs() < 1e-12);
        // Rarer words never get shorter codes.
        assert!(words.windows(2).all(|p| p[0].len() <= p[1].len()));
        // Every path starts at the root and uses each inner node once at most.
        for w in 0..counts.len() {
            assert_eq!(h.path(w)[0] as usize, counts.len() - 2);
            let mut p = h.path(w).to_vec();
            p.sort_unstable();
            p.dedup();
            assert_eq!(p.len(), h.path(w).len());
        }
        assert_eq!(Huffman::new(&[7]).inner_nodes(), 0);
        assert!(Huffman::new(&[7]).path(0).is_empty());
    }
}
