//! The ids the service and the store pass each other, as types: a session's id (`cs_…`), a
//! refund's (`rf_…`) and the shop's order reference, so one cannot be handed where another is
//! meant. Each holds the text as it came (outside text: checked where it enters, by the service).

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(text: impl Into<String>) -> $name {
                $name(text.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> $name {
                $name(text.to_string())
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> $name {
                $name(text)
            }
        }

        impl From<&String> for $name {
            fn from(text: &String) -> $name {
                $name(text.clone())
            }
        }
    };
}

id!(
    /// A session's id (`cs_…`): ours, also the `merchant_ref` a gateway order carries.
    SessionId
);
id!(
    /// A refund's id (`rf_…`): ours, also sent to the gateway as the merchant refund id.
    RefundId
);
id!(
    /// The shop's order reference (`A1001`).
    OrderRef
);
