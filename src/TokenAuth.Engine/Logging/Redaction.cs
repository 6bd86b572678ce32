using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace TokenAuth.Logging
{
    /// <summary>Removes what must never be shown from text that leaves the engine.</summary>
    public static class Redaction
    {
        public const string Mask = "***";

        /// <summary>The most characters of a provider's or a server's own text shown in a message.</summary>
        public const int MaxShownForeignText = 500;

        /// <summary>
        /// Text a provider or a server wrote (an error message, a certificate's name) as it may be shown at a console:
        /// control characters made spaces (an escape sequence could restyle or clear the terminal, a line break forge a
        /// line of output such as a "Recommendation:"), and at most <see cref="MaxShownForeignText"/> characters.
        /// </summary>
        public static string Printable(string text)
        {
            // Most texts (every ordinary reason phrase) are printable and short already: kept as they are, nothing allocated.
            if (text.Length <= MaxShownForeignText && !HasControl(text))
            {
                return text;
            }

            var shown = new StringBuilder(Math.Min(text.Length, MaxShownForeignText + 1));
            for (var i = 0; i < text.Length; i++)
            {
                // A character beyond U+FFFF is two chars: cut before it or after it, never between its halves.
                var pair = char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]);
                if (shown.Length + (pair ? 2 : 1) > MaxShownForeignText)
                {
                    return shown.Append('…').ToString();
                }

                if (pair)
                {
                    shown.Append(text[i]).Append(text[++i]);
                }
                else
                {
                    shown.Append(char.IsControl(text[i]) ? ' ' : text[i]);
                }
            }

            return shown.ToString();
        }

        private static bool HasControl(string text)
        {
            foreach (var c in text)
            {
                if (char.IsControl(c))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// The URI as it may be shown: every query value replaced by *** (names kept, so the user can still tell the
        /// calls apart; a value without a name is masked whole), and any user information or fragment masked too.
        /// </summary>
        public static Uri RedactUri(Uri uri)
        {
            if (!uri.IsAbsoluteUri || (uri.Query.Length <= 1 && uri.Fragment.Length <= 1 && uri.UserInfo.Length == 0))
            {
                return uri;
            }

            var builder = new UriBuilder(uri);
            if (uri.UserInfo.Length > 0)
            {
                builder.UserName = Mask;
                builder.Password = "";
            }

            if (uri.Query.Length > 1)
            {
                var query = new StringBuilder();
                foreach (var pair in uri.Query.Substring(1).Split('&'))
                {
                    if (query.Length > 0) query.Append('&');
                    var equals = pair.IndexOf('=');
                    query.Append(equals < 0 ? (pair.Length == 0 ? "" : Mask) : pair.Substring(0, equals + 1) + Mask);
                }

                builder.Query = query.ToString();
            }

            if (uri.Fragment.Length > 1)
            {
                builder.Fragment = Mask;
            }

            return builder.Uri;
        }

        /// <summary>Text that may hold a URI's user information ("//user:password@host"), with that part masked.</summary>
        public static string WithoutUserInfo(string text) => UserInfo.Replace(text, "//" + Mask + "@");

        private static readonly Regex UserInfo = new Regex("//[^/@?#]*@", RegexOptions.CultureInvariant);

        // "auth" covers Authorization, Proxy-Authorization and X-Auth-*; "pass" password, passwd and passphrase; "jwt",
        // "assertion" and "dpop" the signed proofs (X-JWT-Assertion, client_assertion, DPoP).
        private static readonly string[] SensitiveNameParts = { "auth", "secret", "token", "pass", "pwd", "key", "credential", "cookie", "signature", "session", "jwt", "assertion", "dpop", "private" };

        /// <summary>
        /// True for header and field names whose values are never shown, and never sent on to another origin
        /// (Authorization, Secret-Key, client_secret, access_token, DPoP, X-Auth...).
        /// </summary>
        public static bool IsSensitiveName(string name)
        {
            var lower = name.ToLowerInvariant();
            foreach (var part in SensitiveNameParts)
            {
                if (lower.Contains(part))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Headers as "Name: value" pairs, sensitive ones masked, for debug logs.</summary>
        public static string DescribeHeaders(IEnumerable<KeyValuePair<string, IEnumerable<string>>> headers)
        {
            var text = new StringBuilder();
            foreach (var header in headers)
            {
                if (text.Length > 0) text.Append("; ");
                text.Append(header.Key).Append(": ").Append(IsSensitiveName(header.Key) ? Mask : string.Join(", ", header.Value));
            }

            return text.ToString();
        }

        /// <summary>A JSON body with the values of sensitive fields masked, at any depth; non-JSON text is returned as null.</summary>
        public static string? RedactJson(string json)
        {
            try
            {
                using var document = System.Text.Json.JsonDocument.Parse(json);
                using var buffer = new System.IO.MemoryStream();
                using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
                {
                    WriteRedacted(document.RootElement, writer);
                }

                return Encoding.UTF8.GetString(buffer.ToArray());
            }
            catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or ArgumentException)
            {
                // Not JSON, or JSON with half a UTF-16 surrogate pair, which is no text to read or write: not shown at all.
                return null;
            }
        }

        private static void WriteRedacted(System.Text.Json.JsonElement element, System.Text.Json.Utf8JsonWriter writer)
        {
            switch (element.ValueKind)
            {
                case System.Text.Json.JsonValueKind.Object:
                    writer.WriteStartObject();
                    foreach (var property in element.EnumerateObject())
                    {
                        writer.WritePropertyName(property.Name);
                        if (IsSensitiveName(property.Name) && property.Value.ValueKind != System.Text.Json.JsonValueKind.Object && property.Value.ValueKind != System.Text.Json.JsonValueKind.Array)
                        {
                            writer.WriteStringValue(Mask);
                        }
                        else
                        {
                            WriteRedacted(property.Value, writer);
                        }
                    }

                    writer.WriteEndObject();
                    break;
                case System.Text.Json.JsonValueKind.Array:
                    writer.WriteStartArray();
                    foreach (var item in element.EnumerateArray())
                    {
                        WriteRedacted(item, writer);
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    element.WriteTo(writer);
                    break;
            }
        }

        /// <summary>
        /// Replaces every occurrence of each sensitive value (at least 4 characters long) in text, also where the
        /// provider echoes it encoded: JSON-escaped (\/, \u002B), percent- or form-encoded (either hex case), or base64.
        /// </summary>
        public static string? Scrub(string? text, IEnumerable<string?> sensitiveValues) => string.IsNullOrEmpty(text) ? text : ScrubberFor(sensitiveValues)(text);

        /// <summary>
        /// <see cref="Scrub"/> for one set of values, its pattern built once for every text of one error. The pattern has
        /// no quantifiers, so matching is linear in the text and needs no timeout (whose exception would escape as no
        /// TokenAuth error).
        /// </summary>
        public static Func<string?, string?> ScrubberFor(IEnumerable<string?> sensitiveValues)
        {
            var forms = new List<string>();
            foreach (var value in sensitiveValues.Where(value => value != null && value.Length >= 4).Distinct().OrderByDescending(value => value!.Length))
            {
                forms.Add(EncodedForms(value!));
                var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(value!));
                forms.AddRange(new[] { base64, base64.TrimEnd('='), base64.TrimEnd('=').Replace('+', '-').Replace('/', '_') }.Distinct().Select(Regex.Escape));
            }

            if (forms.Count == 0)
            {
                return text => text;
            }

            var pattern = new Regex(string.Join("|", forms), RegexOptions.CultureInvariant);
            return text => string.IsNullOrEmpty(text) ? text : pattern.Replace(text, Mask);
        }

        /// <summary>A pattern matching the value with each character in any of the forms an encoder may have given it.</summary>
        private static string EncodedForms(string value)
        {
            var pattern = new StringBuilder();
            for (var i = 0; i < value.Length; i++)
            {
                var character = char.IsSurrogatePair(value, i) ? value.Substring(i++, 2) : value[i].ToString();
                var forms = new List<string>
                {
                    Regex.Escape(character),
                    // JSON's \uXXXX, one per UTF-16 unit (a surrogate pair is two in a row).
                    string.Concat(character.Select(unit => @"\\u" + HexEither(((int)unit).ToString("X4", CultureInfo.InvariantCulture)))),
                    string.Concat(Encoding.UTF8.GetBytes(character).Select(b => "%" + HexEither(b.ToString("X2", CultureInfo.InvariantCulture)))),
                };
                if (character is "/" or "\"" or "\\")
                {
                    forms.Add(@"\\" + Regex.Escape(character));
                }

                if (character == " ")
                {
                    forms.Add(@"\+");
                }

                pattern.Append("(?:").Append(string.Join("|", forms)).Append(')');
            }

            return pattern.ToString();
        }

        /// <summary>Hex digits as a pattern that matches either case: "2B" gives "2[Bb]".</summary>
        private static string HexEither(string hex)
        {
            var pattern = new StringBuilder();
            foreach (var digit in hex)
            {
                pattern.Append(char.IsLetter(digit) ? $"[{digit}{char.ToLowerInvariant(digit)}]" : digit.ToString());
            }

            return pattern.ToString();
        }
    }
}
