//! Secret newtypes. Their `Debug` is redacted, they implement neither `Display` nor any
//! serialization, and the accessor is named `expose()` so that every use stands out (oauth2-rs).

#[allow(unused_imports)]
use crate::prelude::*;

macro_rules! secret {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub fn new(value: String) -> Self {
                Self(value)
            }
            /// The secret itself. Never put it into an error, a warning or a log line.
            pub fn expose(&self) -> &str {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "([redacted])"))
            }
        }
    };
}

secret!(
    /// The client secret, entered decoded (RFC 6749 §2.3.1).
    ClientSecret
);
secret!(
    /// The resource owner's password (RFC 6749 §4.3.2).
    Password
);
secret!(
    /// An access token from the token endpoint (RFC 6749 §5.1).
    AccessToken
);
secret!(
    /// A refresh token from the token endpoint (RFC 6749 §5.1).
    RefreshToken
);
secret!(
    /// The credentials that key the shared key's HMAC ([`crate::cache::key_secret`]).
    KeySecret
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        assert_eq!(format!("{:?}", ClientSecret::new("s3cr3t".into())), "ClientSecret([redacted])");
        assert_eq!(format!("{:?}", Password::new("pw".into())), "Password([redacted])");
        assert_eq!(format!("{:?}", AccessToken::new("tok".into())), "AccessToken([redacted])");
        assert_eq!(format!("{:?}", RefreshToken::new("rt".into())), "RefreshToken([redacted])");
        assert_eq!(ClientSecret::new("s3cr3t".into()).expose(), "s3cr3t");
    }
}
