//! Typed identifiers. Each is a UUIDv7 (time-ordered, so keyset pagination and
//! B-tree inserts stay cheap) wrapped in its own type so an order id can never
//! be passed where a store id is expected.

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            pub fn new() -> Self {
                $name(uuid::Uuid::now_v7())
            }
            pub fn parse(raw: &str) -> Option<Self> {
                uuid::Uuid::parse_str(raw).ok().map($name)
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map($name)
            }
        }
    };
}

typed_id!(
    /// A person with an account (buyer, seller, agent or admin).
    UserId
);
typed_id!(
    /// A seller's store. Seller ledger accounts are keyed by store.
    StoreId
);
typed_id!(ListingId);
typed_id!(CouponId);
typed_id!(BundleId);
typed_id!(OrderId);
typed_id!(EntryId);
typed_id!(PayoutId);
typed_id!(TimerId);
typed_id!(EventId);
typed_id!(DisputeId);
typed_id!(StrikeId);
typed_id!(ConversationId);
typed_id!(MessageId);
typed_id!(FlagId);
