using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
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

        private static readonly Func<TokenCacheKey, Entry> NewSignIn = _ => new Entry(keepsToken: false);

        private readonly ConcurrentDictionary<TokenCacheKey, Entry> _entries = new ConcurrentDictionary<TokenCacheKey, Entry>();

        /// <summary>People's sign-ins under way, by whom they were asked for: their tokens go to the entry of whoever signed in (<see cref="Put"/>).</summary>
        private readonly ConcurrentDictionary<TokenCacheKey, Entry> _signIns = new ConcurrentDictionary<TokenCacheKey, Entry>();

        public int Count => _entries.Count(entry => entry.Value.Current != null);

        public Entry GetOrAdd(TokenCacheKey key) => _entries.GetOrAdd(key, NewEntry);

        /// <summary>Where callers asking for the same sign-in share one; it holds no token itself.</summary>
        public Entry SignIn(TokenCacheKey key) => _signIns.GetOrAdd(key, NewSignIn);

        /// <summary>Keeps a signed-in person's token in its own entry (its request's key names the person).</summary>
        public void Put(AccessToken token) => GetOrAdd(token.Request.Key).Put(token);

        /// <summary>The token the key holds now, if any; nothing is added.</summary>
        public AccessToken? Current(TokenCacheKey key) => _entries.TryGetValue(key, out var entry) ? entry.Current : null;

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
            private readonly bool _keepsToken;
            private volatile AccessToken? _current;
            private volatile string? _awaitedSource;
            private Flight? _inFlight;

            public Entry(bool keepsToken = true)
            {
                _keepsToken = keepsToken;
            }

            public AccessToken? Current => _current;

            /// <summary>
            /// Keeps a token got outside the entry's renewals (a person's sign-in), under the entry's lock. A renewal under
            /// way began from an older token: its callers still get what it brings, but it no longer lands in the entry
            /// (<see cref="CompleteAsync"/>), and callers from now on start from this token rather than join it.
            /// </summary>
            public void Put(AccessToken token)
            {
                lock (this)
                {
                    _current = token;
                    _inFlight = null;
                }
            }

            /// <summary>
            /// Whether another token was put in the entry since <paramref name="previous"/> was its token: the renewal from it
            /// that brought <paramref name="renewed"/> is outrun (a sign-in the renewal ran itself puts its own token).
            /// </summary>
            public bool Outrun(AccessToken? previous, AccessToken renewed)
            {
                var current = _current;
                return current != null && !ReferenceEquals(current, previous) && !ReferenceEquals(current, renewed);
            }

            /// <summary>The client assertion source the renewal under way is waiting on, if it is: what a caller whose time runs out names.</summary>
            public string? AwaitedSource
            {
                get => _awaitedSource;
                set => _awaitedSource = value;
            }

            /// <summary>
            /// Joins the renewal under way, or starts one with <paramref name="fetch"/> (given the token it replaces and a
            /// token cancelled if every caller gives up). <paramref name="started"/> tells the caller whether it is the
            /// one doing the work. A caller that stops waiting before the flight lands must call <see cref="GiveUp"/>.
            /// </summary>
            public Flight Renew(Func<AccessToken?, CancellationToken, Task<AccessToken>> fetch, Func<AccessToken, bool> stillFresh, bool force, out bool started)
            {
                Flight flight;
                AccessToken? previous;
                lock (this)
                {
                    started = false;
                    if (_inFlight != null)
                    {
                        _inFlight.Waiters++;
                        return _inFlight;
                    }

                    previous = _current;
                    if (!force && previous != null && stillFresh(previous))
                    {
                        return Flight.Landed(previous);
                    }

                    flight = new Flight();
                    _inFlight = flight;
                    started = true;
                }

                _ = CompleteAsync(flight, fetch(previous, flight.Abandoned));
                return flight;
            }

            /// <summary>
            /// A caller stopped waiting (its own time ran out, or Ctrl+C). When the last one leaves, nobody wants the token
            /// any more: the request is abandoned and the next caller starts a fresh one instead of joining it.
            /// </summary>
            public void GiveUp(Flight flight)
            {
                lock (this)
                {
                    if (--flight.Waiters > 0 || flight.Task.IsCompleted)
                    {
                        return;
                    }

                    if (_inFlight == flight)
                    {
                        _inFlight = null;
                    }
                }

                flight.Abandon();
            }

            private async Task CompleteAsync(Flight flight, Task<AccessToken> fetching)
            {
                try
                {
                    var token = await fetching.ConfigureAwait(false);
                    lock (this)
                    {
                        if (_inFlight == flight)
                        {
                            if (_keepsToken)
                            {
                                _current = token;
                            }

                            _inFlight = null;
                        }
                    }

                    flight.Land(token);
                }
                catch (Exception ex)
                {
                    lock (this)
                    {
                        if (_inFlight == flight)
                        {
                            _inFlight = null;
                        }
                    }

                    flight.Fail(ex);
                }
            }
        }

        /// <summary>One token request and the number of callers waiting on it.</summary>
        internal sealed class Flight
        {
            // No timer and no wait handle: nothing in it needs disposing.
            private readonly CancellationTokenSource _abandoned = new CancellationTokenSource();
            private readonly TaskCompletionSource<AccessToken> _landing = new TaskCompletionSource<AccessToken>(TaskCreationOptions.RunContinuationsAsynchronously);

            public Task<AccessToken> Task => _landing.Task;

            public CancellationToken Abandoned => _abandoned.Token;

            /// <summary>Callers waiting on it; changed under the entry's lock.</summary>
            public int Waiters { get; set; } = 1;

            public static Flight Landed(AccessToken token)
            {
                var flight = new Flight();
                flight.Land(token);
                return flight;
            }

            public void Land(AccessToken token) => _landing.SetResult(token);

            public void Fail(Exception error) => _landing.SetException(error);

            public void Abandon() => _abandoned.Cancel();
        }
    }
}
