using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// The session's tokens, shared by every thread (PowerShell runs ForEach-Object -Parallel runspaces on threads
    /// of one process). Callers that need a new token for the same key share one request; failures are never kept.
    /// </summary>
    internal sealed class TokenCache
    {
        private static readonly Func<TokenCacheKey, Entry> NewEntry = _ => new Entry();

        private readonly ConcurrentDictionary<TokenCacheKey, Entry> _entries = new ConcurrentDictionary<TokenCacheKey, Entry>();

        public int Count => _entries.Count(entry => entry.Value.Current != null);

        public Entry GetOrAdd(TokenCacheKey key) => _entries.GetOrAdd(key, NewEntry);

        /// <summary>Forgets the key; returns the token it held, if any.</summary>
        public AccessToken? Remove(TokenCacheKey key) => _entries.TryRemove(key, out var entry) ? entry.Current : null;

        /// <summary>Forgets the key only while it still holds this very token (a newer one is kept).</summary>
        public bool RemoveIfCurrent(AccessToken token)
        {
            if (_entries.TryGetValue(token.Request.Key, out var entry) && ReferenceEquals(entry.Current, token))
            {
                return _entries.TryRemove(token.Request.Key, out _);
            }

            return false;
        }

        public IReadOnlyList<AccessToken> Tokens() =>
            _entries.Values.Select(entry => entry.Current).Where(token => token != null).Select(token => token!).ToList();

        public int Clear()
        {
            var count = 0;
            foreach (var key in _entries.Keys)
            {
                if (_entries.TryRemove(key, out var entry) && entry.Current != null)
                {
                    count++;
                }
            }

            return count;
        }

        internal sealed class Entry
        {
            private volatile AccessToken? _current;
            private Task<AccessToken>? _inFlight;

            public AccessToken? Current => _current;

            /// <summary>
            /// Joins the renewal under way, or starts one with <paramref name="fetch"/> (given the token it replaces).
            /// <paramref name="started"/> tells the caller whether it is the one doing the work.
            /// </summary>
            public Task<AccessToken> Renew(Func<AccessToken?, Task<AccessToken>> fetch, Func<AccessToken, bool> stillFresh, bool force, out bool started)
            {
                TaskCompletionSource<AccessToken> renewal;
                AccessToken? previous;
                lock (this)
                {
                    started = false;
                    if (_inFlight != null)
                    {
                        return _inFlight;
                    }

                    previous = _current;
                    if (!force && previous != null && stillFresh(previous))
                    {
                        return Task.FromResult(previous);
                    }

                    renewal = new TaskCompletionSource<AccessToken>(TaskCreationOptions.RunContinuationsAsynchronously);
                    _inFlight = renewal.Task;
                    started = true;
                }

                _ = CompleteAsync(fetch(previous), renewal);
                return renewal.Task;
            }

            private async Task CompleteAsync(Task<AccessToken> fetching, TaskCompletionSource<AccessToken> renewal)
            {
                try
                {
                    var token = await fetching.ConfigureAwait(false);
                    lock (this)
                    {
                        _current = token;
                        _inFlight = null;
                    }

                    renewal.SetResult(token);
                }
                catch (Exception ex)
                {
                    lock (this)
                    {
                        _inFlight = null;
                    }

                    renewal.SetException(ex);
                }
            }
        }
    }
}
