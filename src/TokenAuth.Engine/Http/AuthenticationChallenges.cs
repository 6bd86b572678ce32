using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text;

namespace TokenAuth.Http
{
    /// <summary>One challenge of a WWW-Authenticate header: its scheme and its parameters (names in lower case).</summary>
    public sealed class AuthenticationChallenge
    {
        internal AuthenticationChallenge(string scheme, IReadOnlyDictionary<string, string> parameters)
        {
            Scheme = scheme;
            Parameters = parameters;
        }

        public string Scheme { get; }

        public IReadOnlyDictionary<string, string> Parameters { get; }

        /// <summary>The parameter's value; null when the challenge has none of that name.</summary>
        public string? this[string name] => Parameters.TryGetValue(name, out var value) ? value : null;
    }

    /// <summary>
    /// Reads WWW-Authenticate (RFC 9110 11.6.1): several challenges in one header or several headers, parameters as
    /// tokens or quoted strings with commas and escapes inside. Bounded: a header over <see cref="MaxHeaderLength"/>
    /// characters, more than <see cref="MaxChallenges"/> challenges or <see cref="MaxParameters"/> parameters each are
    /// read no further, so a hostile server cannot make the reading cost more than a glance.
    /// </summary>
    public static class AuthenticationChallenges
    {
        public const int MaxHeaderLength = 16 * 1024;
        public const int MaxChallenges = 16;
        public const int MaxParameters = 32;

        /// <summary>The challenges of a response's WWW-Authenticate headers, in order; none when it has none or they are past the bounds.</summary>
        public static IReadOnlyList<AuthenticationChallenge> Of(HttpResponseMessage response)
        {
            if (!response.Headers.TryGetValues("WWW-Authenticate", out var values))
            {
                return Array.Empty<AuthenticationChallenge>();
            }

            var all = new List<AuthenticationChallenge>();
            var length = 0;
            foreach (var value in values)
            {
                length += value.Length;
                if (length > MaxHeaderLength)
                {
                    break;
                }

                all.AddRange(Parse(value).Take(MaxChallenges - all.Count));
            }

            return all;
        }

        /// <summary>The challenges in one header value; what cannot be read is left out, never guessed at.</summary>
        public static IReadOnlyList<AuthenticationChallenge> Parse(string header)
        {
            var challenges = new List<AuthenticationChallenge>();
            if (header == null || header.Length > MaxHeaderLength)
            {
                return challenges;
            }

            var at = 0;
            while (challenges.Count < MaxChallenges)
            {
                SkipSeparators(header, ref at);
                var scheme = ReadToken(header, ref at);
                if (scheme.Length == 0)
                {
                    break;
                }

                var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                SkipSpaces(header, ref at);
                // A token68 (Negotiate's blob, say) in place of parameters: skipped, TokenAuth needs none.
                if (!LooksLikeToken68(header, ref at))
                {
                    at = SkipParameters(header, at, parameters);
                }

                challenges.Add(new AuthenticationChallenge(scheme, parameters));
                if (parameters.Count >= MaxParameters || at < 0)
                {
                    break;
                }
            }

            return challenges;
        }

        /// <summary>Reads name=value pairs into <paramref name="parameters"/>; where the next challenge starts, or -1 when nothing after can be trusted.</summary>
        private static int SkipParameters(string header, int at, Dictionary<string, string> parameters)
        {
            while (at < header.Length && parameters.Count < MaxParameters)
            {
                var start = at;
                var name = ReadToken(header, ref at);
                SkipSpaces(header, ref at);
                if (name.Length == 0 || at >= header.Length || header[at] != '=')
                {
                    // Not name=value: the next challenge's scheme.
                    return start;
                }

                at++;
                SkipSpaces(header, ref at);
                var value = at < header.Length && header[at] == '"' ? ReadQuoted(header, ref at) : ReadToken(header, ref at);
                if (value == null)
                {
                    // An unterminated quoted string: nothing after it can be trusted to be what it seems.
                    return -1;
                }

                if (!parameters.ContainsKey(name))
                {
                    parameters[name] = value;
                }

                SkipSpaces(header, ref at);
                if (at < header.Length && header[at] == ',')
                {
                    at++;
                    SkipSpaces(header, ref at);
                }
            }

            return at;
        }

        private static bool LooksLikeToken68(string header, ref int at)
        {
            // token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=", alone after the scheme.
            var start = at;
            while (at < header.Length && (char.IsLetterOrDigit(header[at]) || "-._~+/".IndexOf(header[at]) >= 0))
            {
                at++;
            }

            while (at < header.Length && header[at] == '=')
            {
                at++;
            }

            var end = at;
            SkipSpaces(header, ref at);
            if (end > start && (at >= header.Length || header[at] == ','))
            {
                return true;
            }

            at = start;
            return false;
        }

        private static void SkipSpaces(string header, ref int at)
        {
            while (at < header.Length && (header[at] == ' ' || header[at] == '\t'))
            {
                at++;
            }
        }

        private static void SkipSeparators(string header, ref int at)
        {
            while (at < header.Length && (header[at] == ' ' || header[at] == '\t' || header[at] == ','))
            {
                at++;
            }
        }

        private static string ReadToken(string header, ref int at)
        {
            var start = at;
            while (at < header.Length && IsTokenChar(header[at]))
            {
                at++;
            }

            return header.Substring(start, at - start);
        }

        /// <summary>A quoted string without its quotes, escapes undone; null when it never ends.</summary>
        private static string? ReadQuoted(string header, ref int at)
        {
            var text = new StringBuilder();
            at++;
            while (at < header.Length)
            {
                var c = header[at++];
                if (c == '"')
                {
                    return text.ToString();
                }

                if (c == '\\' && at < header.Length)
                {
                    c = header[at++];
                }

                text.Append(c);
            }

            return null;
        }

        private static bool IsTokenChar(char c) =>
            c < 127 && c > 32 && "\"(),/:;<=>?@[\\]{}".IndexOf(c) < 0;
    }
}
