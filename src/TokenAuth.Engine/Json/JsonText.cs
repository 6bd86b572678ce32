using System;
using System.Text;
using System.Text.Json;

namespace TokenAuth.Json
{
    /// <summary>
    /// Strings from JSON that others wrote (providers, APIs), read as ConvertFrom-Json, and so Invoke-RestMethod, reads
    /// them. JSON may escape half a UTF-16 surrogate pair ("\ud83d": a JavaScript server's string cut inside an emoji),
    /// which System.Text.Json parses and then refuses to read as a string, throwing wherever the string is read; here
    /// each such half becomes the replacement character U+FFFD, as ConvertFrom-Json makes it, and the rest is kept.
    /// </summary>
    internal static class JsonText
    {
        /// <summary>The string's text; the element must be a string.</summary>
        public static string String(JsonElement element)
        {
            try
            {
                return element.GetString()!;
            }
            catch (InvalidOperationException)
            {
                return Unescaped(element.GetRawText());
            }
        }

        public static string Name(JsonProperty property)
        {
            try
            {
                return property.Name;
            }
            catch (InvalidOperationException)
            {
                // The property as text is its raw JSON ("name": value), which starts with its name, quoted.
                return Unescaped(property.ToString());
            }
        }

        /// <summary>
        /// The JSON string that <paramref name="raw"/> starts with (quotes included), its escapes decoded and each half pair
        /// replaced. Only text the parser took as a string comes here, so every escape in it is well formed.
        /// </summary>
        private static string Unescaped(string raw)
        {
            var text = new StringBuilder(raw.Length);
            for (var i = 1; i < raw.Length && raw[i] != '"'; i++)
            {
                if (raw[i] != '\\')
                {
                    text.Append(raw[i]);
                    continue;
                }

                var escaped = raw[++i];
                if (escaped == 'u')
                {
                    text.Append((char)Convert.ToUInt16(raw.Substring(i + 1, 4), 16));
                    i += 4;
                    continue;
                }

                text.Append(escaped switch { 'b' => '\b', 'f' => '\f', 'n' => '\n', 'r' => '\r', 't' => '\t', _ => escaped });
            }

            for (var i = 0; i < text.Length; i++)
            {
                if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                {
                    i++;
                }
                else if (char.IsSurrogate(text[i]))
                {
                    text[i] = '\uFFFD';
                }
            }

            return text.ToString();
        }
    }
}
