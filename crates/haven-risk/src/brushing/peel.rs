//! Fraudar-style greedy peeling (Hooi et al., KDD 2016) for size-bounded
//! dense blocks of buyers × columns (stores and shared identifiers).
//!
//! The density of a node set S is g(S) = f(S) / |S|, f being the summed
//! weight of the edges inside S. An edge weighs its suspicion prior times
//! its column's weight 1 / ln(c + degree), so a ring padding its accounts
//! with reviews of popular stores adds almost nothing to an honest block.
//! Peeling removes the node with the smallest weighted degree, one at a
//! time (a heap, O(|E| log |V|)), and keeps the densest state seen whose
//! size is within bounds.
//!
//! The whole graph is first cut down: edges below the prior threshold are
//! left out, and nodes whose weighted degree is below the minimum density
//! are pruned repeatedly (such a node can only lower a block's density).
//! What remains splits into connected components, each peeled
//! independently, block after block.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::Params;
use super::features::Features;
use super::index::{Index, UNKNOWN};

/// A dense block before confirmation. Buyers and stores are index ids.
pub(super) struct Candidate {
    pub buyers: Vec<u32>,
    pub stores: Vec<u32>,
    pub density: f64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Node {
    Buyer(u32),
    Store(u32),
    Id,
}

struct Graph {
    nodes: Vec<Node>,
    /// (buyer node, column node, weight)
    edges: Vec<(u32, u32, f64)>,
}

pub(super) fn find_blocks(index: &Index, features: &Features, params: &Params) -> Vec<Candidate> {
    let mut graph = build_graph(index, features, params);
    prune(&mut graph, params.min_density);
    let mut blocks = Vec::new();
    let mut taken = vec![false; index.n_buyers];
    for component in components(&graph) {
        if component.len() <= LARGE_COMPONENT_EDGES {
            let local = localise(&graph, component.iter().map(|&e| graph.edges[e as usize]));
            blocks.extend(peel_local(
                &local,
                params,
                params.max_blocks_per_component,
                None,
            ));
        } else {
            peel_by_store(&graph, &component, params, &mut taken, &mut blocks);
        }
    }
    blocks
}

/// Components larger than this are not peeled whole, block after block
/// (each peel is O(|E| log |V|)), but around each store: honest young
/// accounts, families and small offices can chain most of a big market
/// into one component.
const LARGE_COMPONENT_EDGES: usize = 20_000;

/// Blocks peeled from one store's neighbourhood, at most.
const BLOCKS_PER_STORE: usize = 4;

/// Peel the neighbourhood of each store in turn: its buyers and every
/// column they touch. Keep blocks that contain the store; a buyer joins one
/// block at most.
fn peel_by_store(
    graph: &Graph,
    component: &[u32],
    params: &Params,
    taken: &mut [bool],
    blocks: &mut Vec<Candidate>,
) {
    let edges: Vec<(u32, u32, f64)> = component.iter().map(|&e| graph.edges[e as usize]).collect();
    let adjacency = Adjacency::new(graph.nodes.len(), &edges, |_| true);
    let mut stores: Vec<u32> = edges
        .iter()
        .map(|&(_, c, _)| c)
        .filter(|&c| matches!(graph.nodes[c as usize], Node::Store(_)))
        .collect();
    stores.sort_unstable();
    stores.dedup();
    let free =
        |v: usize, taken: &[bool]| matches!(graph.nodes[v], Node::Buyer(b) if !taken[b as usize]);
    for store in stores {
        let buyers: Vec<usize> = adjacency
            .neighbours(store as usize)
            .map(|(u, _)| u)
            .filter(|&u| free(u, taken))
            .collect();
        if !(params.min_block_buyers..=params.max_block_buyers).contains(&buyers.len()) {
            continue;
        }
        let ego = buyers.iter().flat_map(|&b| {
            adjacency
                .neighbours(b)
                .map(move |(c, w)| (b as u32, c as u32, w))
        });
        let local = localise(graph, ego);
        let Node::Store(seed) = graph.nodes[store as usize] else {
            continue;
        };
        for candidate in peel_local(&local, params, BLOCKS_PER_STORE, Some(seed)) {
            for &b in &candidate.buyers {
                taken[b as usize] = true;
            }
            blocks.push(candidate);
        }
    }
}

fn column_weight(degree: u32, params: &Params) -> f64 {
    1.0 / (params.column_weight_c + f64::from(degree)).ln()
}

fn build_graph(index: &Index, features: &Features, params: &Params) -> Graph {
    let mut graph = Graph {
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    let mut buyer_node = vec![UNKNOWN; index.n_buyers];
    let mut store_node = vec![UNKNOWN; index.n_stores];
    let mut buyer_prior = vec![0.0_f64; index.n_buyers];
    let node_of = |slot: &mut u32, node: Node, nodes: &mut Vec<Node>| {
        if *slot == UNKNOWN {
            *slot = nodes.len() as u32;
            nodes.push(node);
        }
        *slot
    };
    for edge in features
        .edges
        .iter()
        .filter(|e| e.prior >= params.min_edge_prior)
    {
        let b = node_of(
            &mut buyer_node[edge.buyer as usize],
            Node::Buyer(edge.buyer),
            &mut graph.nodes,
        );
        let s = node_of(
            &mut store_node[edge.store as usize],
            Node::Store(edge.store),
            &mut graph.nodes,
        );
        let weight =
            edge.prior * column_weight(index.store_buyer_count[edge.store as usize], params);
        graph.edges.push((b, s, weight));
        let prior = &mut buyer_prior[edge.buyer as usize];
        *prior = prior.max(edge.prior);
    }
    // Buyer–identifier edges, for identifiers rare enough to mean one
    // person (or one operator), weighted by the buyer's strongest prior.
    let mut id_node = vec![UNKNOWN; index.id_kind.len()];
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    for buyer in (0..index.n_buyers as u32).filter(|&b| buyer_node[b as usize] != UNKNOWN) {
        for &r in index.buyer_review_slice(buyer) {
            for &id in index.review_ids[r as usize]
                .iter()
                .filter(|&&id| id != UNKNOWN)
            {
                if (2..=params.max_id_buyers).contains(&index.id_buyer_count[id as usize]) {
                    pairs.push((buyer, id));
                }
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    for (buyer, id) in pairs {
        let i = node_of(&mut id_node[id as usize], Node::Id, &mut graph.nodes);
        let weight = buyer_prior[buyer as usize]
            * params.id_edge_factor
            * column_weight(index.id_buyer_count[id as usize], params);
        graph.edges.push((buyer_node[buyer as usize], i, weight));
    }
    graph
}

/// Drop, repeatedly, nodes whose weighted degree is below `min_density`,
/// then the edges they held.
fn prune(graph: &mut Graph, min_density: f64) {
    let n = graph.nodes.len();
    let adjacency = Adjacency::new(n, &graph.edges, |_| true);
    let mut degree: Vec<f64> = (0..n)
        .map(|v| adjacency.neighbours(v).map(|(_, w)| w).sum())
        .collect();
    let mut alive = vec![true; n];
    let mut stack: Vec<usize> = (0..n).filter(|&v| degree[v] < min_density).collect();
    while let Some(v) = stack.pop() {
        if !alive[v] {
            continue;
        }
        alive[v] = false;
        for (u, w) in adjacency.neighbours(v) {
            if alive[u] {
                degree[u] -= w;
                if degree[u] < min_density {
                    stack.push(u);
                }
            }
        }
    }
    graph
        .edges
        .retain(|&(b, c, _)| alive[b as usize] && alive[c as usize]);
}

/// Connected components (union–find), as lists of edge indices.
fn components(graph: &Graph) -> Vec<Vec<u32>> {
    let mut parent: Vec<u32> = (0..graph.nodes.len() as u32).collect();
    fn root(parent: &mut [u32], mut v: u32) -> u32 {
        while parent[v as usize] != v {
            let grand = parent[parent[v as usize] as usize];
            parent[v as usize] = grand;
            v = grand;
        }
        v
    }
    for &(b, c, _) in &graph.edges {
        let (rb, rc) = (root(&mut parent, b), root(&mut parent, c));
        if rb != rc {
            parent[rb as usize] = rc;
        }
    }
    let mut keyed: Vec<(u32, u32)> = graph
        .edges
        .iter()
        .enumerate()
        .map(|(e, &(b, _, _))| (root(&mut parent, b), e as u32))
        .collect();
    keyed.sort_unstable();
    keyed
        .chunk_by(|a, b| a.0 == b.0)
        .map(|group| group.iter().map(|&(_, e)| e).collect())
        .collect()
}

/// A component renumbered 0..n, with its edges in CSR form.
struct Local {
    nodes: Vec<Node>,
    edges: Vec<(u32, u32, f64)>,
}

/// Peel `local` block after block; with `seed`, stop at the first block
/// without that store.
fn peel_local(
    local: &Local,
    params: &Params,
    max_blocks: usize,
    seed: Option<u32>,
) -> Vec<Candidate> {
    let mut blocks = Vec::new();
    let buyers = local
        .nodes
        .iter()
        .filter(|n| matches!(n, Node::Buyer(_)))
        .count();
    if buyers < params.min_block_buyers {
        return blocks;
    }
    let mut removed = vec![false; local.nodes.len()];
    for _ in 0..max_blocks {
        let Some((members, density)) = densest_bounded(local, &removed, params) else {
            break;
        };
        let mut candidate = Candidate {
            buyers: Vec::new(),
            stores: Vec::new(),
            density,
        };
        for &v in &members {
            match local.nodes[v] {
                Node::Buyer(b) => {
                    candidate.buyers.push(b);
                    // The block's buyers leave the component; its columns
                    // stay, so a second group on the same store can show.
                    removed[v] = true;
                }
                Node::Store(s) => candidate.stores.push(s),
                Node::Id => {}
            }
        }
        if seed.is_some_and(|s| !candidate.stores.contains(&s)) {
            break;
        }
        blocks.push(candidate);
    }
    blocks
}

/// Renumber the nodes of some edges 0..n.
fn localise(graph: &Graph, edges: impl Iterator<Item = (u32, u32, f64)>) -> Local {
    let mut local_of = std::collections::HashMap::new();
    let mut local = Local {
        nodes: Vec::new(),
        edges: Vec::new(),
    };
    for (b, c, w) in edges {
        let mut map = |v: u32| {
            *local_of.entry(v).or_insert_with(|| {
                local.nodes.push(graph.nodes[v as usize]);
                local.nodes.len() as u32 - 1
            })
        };
        let (lb, lc) = (map(b), map(c));
        local.edges.push((lb, lc, w));
    }
    local
}

struct Adjacency {
    offsets: Vec<u32>,
    targets: Vec<(u32, f64)>,
}

impl Adjacency {
    fn new(
        n: usize,
        edges: &[(u32, u32, f64)],
        keep: impl Fn(&(u32, u32, f64)) -> bool,
    ) -> Adjacency {
        let mut offsets = vec![0_u32; n + 1];
        for &(b, c, _) in edges.iter().filter(|e| keep(e)) {
            offsets[b as usize + 1] += 1;
            offsets[c as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![(0, 0.0); offsets[n] as usize];
        for &(b, c, w) in edges.iter().filter(|e| keep(e)) {
            targets[fill[b as usize] as usize] = (c, w);
            fill[b as usize] += 1;
            targets[fill[c as usize] as usize] = (b, w);
            fill[c as usize] += 1;
        }
        Adjacency { offsets, targets }
    }

    fn neighbours(&self, v: usize) -> impl Iterator<Item = (usize, f64)> + '_ {
        self.targets[self.offsets[v] as usize..self.offsets[v + 1] as usize]
            .iter()
            .map(|&(u, w)| (u as usize, w))
    }
}

/// Min-heap entry: (weighted degree, node).
#[derive(PartialEq)]
struct Entry(f64, usize);

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then(other.1.cmp(&self.1))
    }
}

/// The running state of one peel.
struct PeelState {
    buyers: usize,
    stores: usize,
    nodes: usize,
    weight: f64,
}

impl PeelState {
    fn density_if_valid(&self, params: &Params) -> Option<f64> {
        let sized = (params.min_block_buyers..=params.max_block_buyers).contains(&self.buyers)
            && (1..=params.max_block_stores).contains(&self.stores);
        let density = self.weight / self.nodes as f64;
        (sized && density >= params.min_density).then_some(density)
    }

    fn remove(&mut self, node: Node, degree: f64) {
        match node {
            Node::Buyer(_) => self.buyers -= 1,
            Node::Store(_) => self.stores -= 1,
            Node::Id => {}
        }
        self.nodes -= 1;
        self.weight -= degree;
    }
}

/// One greedy peel over the nodes not yet `removed`: the densest state
/// within the size bounds, as (member nodes, density).
fn densest_bounded(local: &Local, removed: &[bool], params: &Params) -> Option<(Vec<usize>, f64)> {
    let n = local.nodes.len();
    let adjacency = Adjacency::new(n, &local.edges, |&(b, c, _)| {
        !removed[b as usize] && !removed[c as usize]
    });
    let mut degree = vec![0.0_f64; n];
    let mut alive = vec![false; n];
    let mut state = PeelState {
        buyers: 0,
        stores: 0,
        nodes: 0,
        weight: 0.0,
    };
    let mut heap = BinaryHeap::new();
    for v in (0..n).filter(|&v| !removed[v]) {
        degree[v] = adjacency.neighbours(v).map(|(_, w)| w).sum();
        if adjacency.neighbours(v).next().is_none() {
            continue;
        }
        alive[v] = true;
        state.nodes += 1;
        state.weight += degree[v] / 2.0;
        match local.nodes[v] {
            Node::Buyer(_) => state.buyers += 1,
            Node::Store(_) => state.stores += 1,
            Node::Id => {}
        }
        heap.push(Entry(degree[v], v));
    }
    let mut order = Vec::with_capacity(state.nodes);
    let mut best = state.density_if_valid(params).map(|d| (0, d));
    while let Some(Entry(key, v)) = heap.pop() {
        if !alive[v] || key != degree[v] {
            continue;
        }
        alive[v] = false;
        order.push(v);
        state.remove(local.nodes[v], degree[v]);
        for (u, w) in adjacency.neighbours(v) {
            if alive[u] {
                degree[u] -= w;
                heap.push(Entry(degree[u], u));
            }
        }
        if let Some(density) = state.density_if_valid(params)
            && best.is_none_or(|(_, d)| density > d)
        {
            best = Some((order.len(), density));
        }
    }
    best.map(|(cut, density)| (order[cut..].to_vec(), density))
}
