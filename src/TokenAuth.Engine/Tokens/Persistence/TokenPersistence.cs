using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using TokenAuth.Logging;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// The session's side of the persisted cache: which vault a request's tokens go to, and each read, write and removal
    /// there bounded by <see cref="TokenAuthOptions.TokenTimeout"/>. A vault that fails (locked, missing, slow, broken) is
    /// reported once, as a warning, and not tried again in this session: the session's own cache carries on. An entry
    /// that cannot be used is reported once and replaced by the next write; it never fails the call.
    /// </summary>
    internal sealed class TokenPersistence
    {
        private readonly Func<TokenAuthOptions> _options;
        private readonly Func<ITokenStore?> _store;
        private readonly TimeProvider _clock;

        /// <summary>Vaults that failed in this session, and why: not asked again, so a broken vault warns once and costs once.</summary>
        private readonly ConcurrentDictionary<string, string> _failed = new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);

        public TokenPersistence(Func<TokenAuthOptions> options, Func<ITokenStore?> store, TimeProvider clock)
        {
            _options = options;
            _store = store;
            _clock = clock;
        }

        /// <summary>
        /// The vault the request's tokens persist in: the session's (Set-TokenAuthOption -TokenCacheVault), else the one
        /// its provider's definition names; null: the session's memory alone, as without the option.
        /// </summary>
        public string? VaultFor(TokenRequest request) =>
            _store() == null ? null : NonEmpty(_options().TokenCacheVault) ?? NonEmpty(request.Target.Definition.TokenCacheVault);

        /// <summary>The request's entry, when the vault has one written for it; null when none, or when the vault failed.</summary>
        public async Task<PersistedRead?> ReadAsync(TokenRequest request, string vault, ITokenAuthLog? log, CancellationToken cancellationToken)
        {
            var provider = request.Target.ProviderName;
            var name = PersistedTokenName.For(request);
            if (await ReadTextAsync(vault, name.Name, provider, log, cancellationToken).ConfigureAwait(false) is not { } text)
            {
                if (!_failed.ContainsKey(vault))
                {
                    log.Verbose($"{provider}: no token persisted in the vault '{vault}' for {request.Credential.DisplayIdentity}.");
                }

                return null;
            }

            var read = PersistedTokenEntry.Read(text, request, name, _options().MarginFor, _clock.GetUtcNow());
            switch (read.State)
            {
                case PersistedEntryState.Usable:
                    read.Token!.PersistedIn = vault;
                    read.Token.ReadFromVault = true;
                    log.Verbose($"{provider}: token read from the vault '{vault}' (expires {read.Token.ExpiresOn.UtcDateTime:u}).");
                    break;
                case PersistedEntryState.Due:
                    log.Verbose($"{provider}: the token persisted in the vault '{vault}' is due for renewal (expires {read.Token!.ExpiresOn.UtcDateTime:u}).");
                    break;
                case PersistedEntryState.DefinitionChanged:
                    log.Verbose($"{provider}: the token persisted in the vault '{vault}' is not used: {read.Problem}; it will be replaced.");
                    break;
                default:
                    log.Warning($"{provider}: the token entry persisted in the vault '{vault}' is ignored and will be replaced: {read.Problem}.");
                    break;
            }

            return read;
        }

        /// <summary>Writes the token to the vault; a failure is a warning, never the call's failure.</summary>
        public async Task WriteAsync(AccessToken token, string vault, ITokenAuthLog? log, CancellationToken cancellationToken)
        {
            var request = token.Request;
            var name = PersistedTokenName.For(request);
            // A write another process made at the same moment may be what failed: the vault stays in use for reading.
            if (await WriteTextAsync(vault, name.Name, () => PersistedTokenEntry.Write(token, name), log, cancellationToken,
                    ex => $"{token.Provider}: the token could not be persisted in the vault '{vault}', so it serves this session only: " + Reason(ex, token.Value, token.RefreshToken))
                .ConfigureAwait(false))
            {
                token.PersistedIn = vault;
                log.Verbose($"{token.Provider}: token persisted in the vault '{vault}'.");
            }
        }

        /// <summary>
        /// The text stored under the name, within the token timeout; null when there is none, when the vault failed (warned
        /// once, and not asked again in this session) or when the session has no store.
        /// </summary>
        internal async Task<string?> ReadTextAsync(string vault, string name, string provider, ITokenAuthLog? log,
            CancellationToken cancellationToken)
        {
            var store = _store();
            if (store == null || _failed.ContainsKey(vault))
            {
                return null;
            }

            try
            {
                return await BoundedAsync(cancel => store.ReadAsync(vault, name, cancel), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                Failed(vault, provider, "read", ex, log);
                return null;
            }
        }

        /// <summary>Stores the text under the name, within the token timeout; false (and the warning <paramref name="failure"/> words) when it could not.</summary>
        internal async Task<bool> WriteTextAsync(string vault, string name, Func<string> text, ITokenAuthLog? log,
            CancellationToken cancellationToken, Func<Exception, string> failure)
        {
            var store = _store();
            if (store == null || _failed.ContainsKey(vault))
            {
                return false;
            }

            try
            {
                await BoundedAsync(async cancel =>
                {
                    await store.WriteAsync(vault, name, text(), cancel).ConfigureAwait(false);
                    return true;
                }, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // A vault that did not answer is not asked again in the session, as after a read; any other failed write may
                // be another process's write at the same moment, and the vault stays in use.
                var givenUp = ex is TimeoutException && _failed.TryAdd(vault, ex.Message);
                log.Warning(failure(ex) + (givenUp ? " The vault is not asked again in this session." : ""));
                return false;
            }
        }

        /// <summary>Removes the request's entry; true when there was one.</summary>
        public async Task<bool> RemoveAsync(TokenRequest request, string vault, ITokenAuthLog? log, CancellationToken cancellationToken)
        {
            var store = _store();
            if (store == null)
            {
                return false;
            }

            try
            {
                return await BoundedAsync(cancel => store.RemoveAsync(vault, new[] { PersistedTokenName.For(request).Name }, cancel), cancellationToken)
                    .ConfigureAwait(false) > 0;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                log.Warning($"{request.Target.ProviderName}: the token persisted in the vault '{vault}' could not be removed: {Reason(ex)}");
                return false;
            }
        }

        /// <summary>Removes every TokenAuth token entry in the vault, whoever wrote it; returns how many.</summary>
        public async Task<int> ClearAsync(string vault, ITokenAuthLog? log, CancellationToken cancellationToken)
        {
            var store = _store();
            if (store == null)
            {
                return 0;
            }

            try
            {
                var names = await BoundedAsync(cancel => store.ListAsync(vault, PersistedTokenName.Prefix, cancel), cancellationToken).ConfigureAwait(false);
                return names.Count == 0 ? 0 : await BoundedAsync(cancel => store.RemoveAsync(vault, names, cancel), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                log.Warning($"The tokens persisted in the vault '{vault}' could not be cleared: {Reason(ex)}");
                return 0;
            }
        }

        /// <summary>
        /// Every TokenAuth token entry in the vault, whoever wrote it, as a listing shows it; an entry that cannot be read is
        /// left out with a warning naming it (never its content). One vault read per entry, each within the token timeout.
        /// </summary>
        public async Task<IReadOnlyList<PersistedTokenSummary>> ListAsync(string vault, ITokenAuthLog? log, CancellationToken cancellationToken)
        {
            var store = _store();
            var summaries = new List<PersistedTokenSummary>();
            if (store == null)
            {
                return summaries;
            }

            IReadOnlyList<string> names;
            try
            {
                names = await BoundedAsync(cancel => store.ListAsync(vault, PersistedTokenName.Prefix, cancel), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                log.Warning($"The tokens persisted in the vault '{vault}' could not be listed: {Reason(ex)}");
                return summaries;
            }

            foreach (var name in names)
            {
                if (await ReadTextAsync(vault, name, "TokenAuth", log, cancellationToken).ConfigureAwait(false) is not { } text)
                {
                    continue;
                }

                if (PersistedTokenEntry.TryDescribe(text, name, vault, out var summary, out var problem))
                {
                    summaries.Add(summary!);
                }
                // A sign-in's people index shares the names' prefix: TokenAuth's own entry, holding no token, and not listed.
                else if (!PersistedEnvelope.HasFormat(text, PersistedPeople.Format))
                {
                    log.Warning($"The entry '{Redaction.Printable(name)}' in the vault '{vault}' is not shown: {problem}.");
                }
            }

            return summaries;
        }

        /// <summary>One vault call within the token timeout: past it the call is cancelled, left to end when it can, and reported as slow.</summary>
        private async Task<T> BoundedAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        {
            var limit = _options().TokenTimeout;
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var task = call(cancel.Token);
            try
            {
                return await task.WaitAsync(limit, _clock, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                cancel.Cancel();
                _ = task.ContinueWith(static done => done.Exception, TaskScheduler.Default);
                throw new TimeoutException($"the vault did not answer within the token timeout ({limit.TotalSeconds:0.###} s)");
            }
        }

        private void Failed(string vault, string provider, string action, Exception error, ITokenAuthLog? log)
        {
            if (_failed.TryAdd(vault, error.Message))
            {
                log.Warning($"{provider}: the vault '{vault}' could not be {action}, so tokens are kept for this session only and the vault is not asked again in it: "
                    + Reason(error));
            }
        }

        internal static string Reason(Exception error, params string?[] sensitive) =>
            Redaction.Printable(Redaction.Scrub(error.Message, sensitive) ?? "").TrimEnd('.') + ".";

        private static string? NonEmpty(string? vault) => string.IsNullOrWhiteSpace(vault) ? null : vault;
    }
}
