using System;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Logging;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// A person's token in a process that did not sign them in: where tokens persist, the vault's people index
    /// (<see cref="PersistedPeople"/>) says whose account the request means, and that account's persisted entry serves,
    /// or renews with its refresh token, without a sign-in.
    /// </summary>
    internal sealed partial class TokenManager
    {
        private PersistedPeople? _persistedPeople;

        private PersistedPeople PersistedPeople => LazyInitializer.EnsureInitialized(ref _persistedPeople, () => new PersistedPeople(_persistence, _people))!;

        /// <summary>The account the person's request is for: as this session knows it, else as the vault's people index says; null: someone must sign in.</summary>
        private async Task<string?> AccountForAsync(TokenRequest request, ITokenAuthLog? log, CancellationToken cancellationToken)
        {
            if (_people.AccountFor(request) is { } known)
            {
                return known;
            }

            if (_persistence.VaultFor(request) is not { } vault)
            {
                return null;
            }

            await PersistedPeople.LoadAsync(request, vault, log, cancellationToken).ConfigureAwait(false);
            return _people.AccountFor(request);
        }

        /// <summary>The request for the person it means (revoking), as far as the session or the vault's people index knows.</summary>
        private async Task<TokenRequest> WhoseAsync(TokenRequest request, ITokenAuthLog? log, CancellationToken cancellationToken) =>
            request.SignIn != null && await AccountForAsync(request, log, cancellationToken).ConfigureAwait(false) is { } account ? request.ForAccount(account) : request;

        /// <summary>
        /// How the person's entry gets its token from the vault, when the session holds none: the persisted token while it
        /// is fresh (and not the one an API just refused), else renewed with its refresh token and written back; null when
        /// the vault has no entry that can serve (none, unusable, or stale without a refresh token): the person signs in.
        /// </summary>
        private async Task<Func<AccessToken?, CancellationToken, Task<AccessToken>>?> FromVaultAsync(TokenCache.Entry entry, TokenRequest theirs, bool forceNew,
            ITokenAuthLog? log, CancellationToken cancellationToken)
        {
            if (_persistence.VaultFor(theirs) is not { } vault
                || await _persistence.ReadAsync(theirs, vault, log, cancellationToken).ConfigureAwait(false) is not { Token: { } persisted } read)
            {
                return null;
            }

            var refused = _refused.TryGetValue(theirs.Key, out var value) && value == persisted.Value;
            if (!forceNew && !refused && read.State == PersistedEntryState.Usable)
            {
                return (_, _) => Task.FromResult(persisted);
            }

            if (persisted.RefreshToken == null)
            {
                return null;
            }

            // A spent refresh token's entry is removed there, as for the session's own token.
            return (previous, abandoned) => FetchThroughVaultAsync(entry, theirs, previous ?? persisted, forceNew: true, log, abandoned);
        }
    }
}
