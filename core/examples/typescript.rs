//! Prints the package's TypeScript data declarations (`types.d.ts`; scripts/build.sh runs it).
fn main() {
    print!("{}", oauth_token_core::typescript::declarations());
}
