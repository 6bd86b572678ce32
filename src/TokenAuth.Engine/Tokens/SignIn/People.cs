using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using TokenAuth.Providers;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// Whose token a person's call wants, per provider and client in this session. A person's token is cached under the
    /// person the ID token names (its <c>sub</c>; without an ID token, the login hint). The rule:
    /// a call with -LoginHint uses the person signed in with that hint, or whose ID token names it as preferred_username
    /// or e-mail; a call without one uses the person this session signed in last (the "current person"); a person not
    /// known yet, or -Prompt login, consent or select_account, signs in, and the token goes to the entry of whoever signed in.
    /// </summary>
    internal sealed class People
    {
        private readonly ConcurrentDictionary<string, Client> _clients = new ConcurrentDictionary<string, Client>(StringComparer.Ordinal);

        /// <summary>The cache key's account part for a signed-in person: the ID token's subject, else the login hint, else one entry for "someone".</summary>
        internal static string AccountKey(string? subject, string? loginHint) =>
            subject is { Length: > 0 } ? "person:sub=" + subject
            : loginHint != null ? "person:hint=" + loginHint.ToLowerInvariant()
            : "person:";

        /// <summary>The account of the person the request is for, as far as this session knows; null: someone must sign in to say.</summary>
        public string? AccountFor(TokenRequest request)
        {
            var signIn = request.SignIn!;
            if (!_clients.TryGetValue(ClientOf(request.Key), out var client))
            {
                return null;
            }

            lock (client)
            {
                return signIn.LoginHint is { } hint
                    ? client.Known.FirstOrDefault(person => person.Value.Contains(hint.ToLowerInvariant())).Key
                    : client.Current;
            }
        }

        /// <summary>A person signed in: they become the current person, known by the hint they were given and the names their ID token gave.</summary>
        public void SignedIn(TokenRequest request, string account, IEnumerable<string?> names)
        {
            var client = _clients.GetOrAdd(ClientOf(request.Key), _ => new Client());
            lock (client)
            {
                if (!client.Known.TryGetValue(account, out var known))
                {
                    client.Known[account] = known = new HashSet<string>(StringComparer.Ordinal);
                }

                foreach (var name in names.Append(request.SignIn?.LoginHint))
                {
                    if (!string.IsNullOrEmpty(name))
                    {
                        known.Add(name!.ToLowerInvariant());
                    }
                }

                client.Current = account;
            }
        }

        /// <summary>
        /// Adds what another process knew of this client's people (<see cref="PersistedPeople"/>): their names join those
        /// this session knows; their current person becomes this session's only while it has none of its own.
        /// </summary>
        public void Merge(TokenRequest request, IEnumerable<KnownPerson> people, string? current)
        {
            var client = _clients.GetOrAdd(ClientOf(request.Key), _ => new Client());
            lock (client)
            {
                foreach (var person in people)
                {
                    if (!client.Known.TryGetValue(person.Account, out var known))
                    {
                        client.Known[person.Account] = known = new HashSet<string>(StringComparer.Ordinal);
                    }

                    known.UnionWith(person.Names);
                }

                if (client.Current == null && current != null && client.Known.ContainsKey(current))
                {
                    client.Current = current;
                }
            }
        }

        /// <summary>Everything this session knows of the request's client's people: the current person first.</summary>
        public IReadOnlyList<KnownPerson> Of(TokenRequest request, out string? current)
        {
            current = null;
            if (!_clients.TryGetValue(ClientOf(request.Key), out var client))
            {
                return Array.Empty<KnownPerson>();
            }

            lock (client)
            {
                current = client.Current;
                var now = client.Current;
                return client.Known.OrderBy(person => person.Key == now ? 0 : 1)
                    .Select(person => new KnownPerson(person.Key, person.Value.ToList())).ToList();
            }
        }

        public void Clear() => _clients.Clear();

        /// <summary>Provider, base URI and client: the people of one client are one list, whatever the scope.</summary>
        private static string ClientOf(TokenCacheKey key) =>
            key.Provider.ToUpperInvariant() + "\n" + key.BaseUri + "\n" + key.Identity + "\n" + key.SecretFingerprint;

        /// <summary>One person of a client: their account key and the lower-cased names that find it.</summary>
        internal sealed class KnownPerson
        {
            public KnownPerson(string account, IReadOnlyCollection<string> names)
            {
                Account = account;
                Names = names;
            }

            public string Account { get; }

            public IReadOnlyCollection<string> Names { get; }
        }

        private sealed class Client
        {
            public Dictionary<string, HashSet<string>> Known { get; } = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);

            public string? Current { get; set; }
        }
    }
}
