using System;
using System.Collections.Generic;
using System.Text;

namespace TokenAuth.Logging
{
    /// <summary>Removes what must never be shown from text that leaves the engine.</summary>
    public static class Redaction
    {
        public const string Mask = "***";

        /// <summary>The URI with every query value replaced by ***, names kept so the user can still tell the calls apart.</summary>
        public static Uri RedactQuery(Uri uri)
        {
            if (!uri.IsAbsoluteUri || string.IsNullOrEmpty(uri.Query) || uri.Query == "?")
            {
                return uri;
            }

            var builder = new StringBuilder();
            foreach (var pair in uri.Query.Substring(1).Split('&'))
            {
                if (builder.Length > 0) builder.Append('&');
                var equals = pair.IndexOf('=');
                builder.Append(equals < 0 ? pair : pair.Substring(0, equals + 1) + Mask);
            }

            return new UriBuilder(uri) { Query = builder.ToString() }.Uri;
        }

        private static readonly string[] SensitiveNameParts = { "authorization", "secret", "token", "password", "passwd", "key", "credential", "cookie", "signature", "session" };

        /// <summary>True for header and field names whose values are never shown (Authorization, Secret-Key, client_secret, access_token...).</summary>
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
            catch (System.Text.Json.JsonException)
            {
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

        /// <summary>Replaces every occurrence of each sensitive value (at least 4 characters long) in text.</summary>
        public static string? Scrub(string? text, IEnumerable<string?> sensitiveValues)
        {
            if (string.IsNullOrEmpty(text))
            {
                return text;
            }

            foreach (var value in sensitiveValues)
            {
                if (value != null && value.Length >= 4 && text!.IndexOf(value, StringComparison.Ordinal) >= 0)
                {
                    text = text.Replace(value, Mask);
                }
            }

            return text;
        }
    }
}
