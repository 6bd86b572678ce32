using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Errors;
using TokenAuth.Http;
using TokenAuth.Logging;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// The token manager's side of tokens kept beyond the session: a renewal looks in the vault first (another process
    /// may have renewed the token) and writes back what it got; a spent refresh token's entry goes; -All and listings.
    /// What goes in and comes out of the vault is <see cref="TokenPersistence"/>'s.
    /// </summary>
    internal sealed partial class TokenManager
    {
        /// <summary>Removes every TokenAuth token entry persisted in the vault; returns how many there were.</summary>
        public Task<int> ClearPersistedAsync(string vault, ITokenAuthLog? log, CancellationToken cancellationToken) =>
            _persistence.ClearAsync(vault, log, cancellationToken);

        /// <summary>Every TokenAuth token entry persisted in the vault, described without its tokens.</summary>
        public Task<IReadOnlyList<PersistedTokenSummary>> ListPersistedAsync(string vault, ITokenAuthLog? log, CancellationToken cancellationToken) =>
            _persistence.ListAsync(vault, log, cancellationToken);

        /// <summary>
        /// Where the request's tokens persist: the vault's entry while it is fresh (another process may have renewed it),
        /// else a token from the provider (refreshed with the entry's refresh token where it has one), written back.
        /// Without a vault for the request, the provider alone, as always.
        /// </summary>
        private async Task<AccessToken> FetchThroughVaultAsync(TokenCache.Entry entry, TokenRequest request, AccessToken? previous, bool forceNew, ITokenAuthLog? log,
            CancellationToken abandoned)
        {
            if (_persistence.VaultFor(request) is not { } vault)
            {
                return await FetchAsync(entry, request, previous, log, abandoned).ConfigureAwait(false);
            }

            // The token renewed from: the session's, or the vault's where another process left a newer one.
            var renewFrom = previous;
            if (!forceNew && await _persistence.ReadAsync(request, vault, log, abandoned).ConfigureAwait(false) is { Token: { } persisted } read)
            {
                if (_refused.TryGetValue(request.Key, out var refused) && refused == persisted.Value)
                {
                    log.Verbose($"{request.Target.ProviderName}: the token persisted in the vault '{vault}' is the one just refused; renewing it.");
                }
                else if (read.State == PersistedEntryState.Usable)
                {
                    return persisted;
                }

                // Another process's newer token carries the refresh token still good: a provider that rotates them has spent the
                // session's own. The vault holds the last token written, so a tie goes to it.
                if (renewFrom == null || persisted.IssuedOn >= renewFrom.IssuedOn)
                {
                    renewFrom = persisted;
                }
            }

            AccessToken token;
            try
            {
                token = await FetchAsync(entry, request, renewFrom, log, abandoned).ConfigureAwait(false);
            }
            catch (SignInException ex) when (ex.Failure == SignInFailure.SignInAgain && renewFrom?.RefreshToken is { } spent)
            {
                // Whether the session's token or the vault's was renewed, a spent refresh token stays spent: no later process may meet the same refusal.
                await RemoveSpentAsync(request, vault, spent, log, abandoned).ConfigureAwait(false);
                throw;
            }

            _refused.TryRemove(request.Key, out _);
            if (entry.Outrun(previous, token))
            {
                // A sign-in put a newer token in the entry (and the vault) while this renewal ran: it is not overwritten with an older one.
                return token;
            }

            await _persistence.WriteAsync(token, vault, log, abandoned).ConfigureAwait(false);
            return token;
        }

        /// <summary>Removes the request's persisted entry while it holds the spent refresh token; one another process has renewed meanwhile stays.</summary>
        private async Task RemoveSpentAsync(TokenRequest request, string vault, string spentRefreshToken, ITokenAuthLog? log, CancellationToken abandoned)
        {
            if (await _persistence.ReadAsync(request, vault, log, abandoned).ConfigureAwait(false) is { Token: { } persisted }
                && persisted.RefreshToken != spentRefreshToken)
            {
                return;
            }

            await _persistence.RemoveAsync(request, vault, log, abandoned).ConfigureAwait(false);
        }
    }
}
