using System;
using System.Text.Json;

namespace TokenAuth.Tokens
{
    /// <summary>
    /// What every persisted entry starts with and is checked for before its content is read: a format marker, a format
    /// version and its name's check (<see cref="PersistedTokenName.Check"/>). An entry is only text someone could have
    /// written: too large, not JSON, another format, no version, a later version or another name's check each give a
    /// state and words without any of its content, and the entry is not used.
    /// </summary>
    internal static class PersistedEnvelope
    {
        /// <summary>No entry TokenAuth writes comes near it; a larger one is not parsed.</summary>
        public const int MaxLength = 256 * 1024;

        public static void WriteHeader(Utf8JsonWriter json, string format, int version, PersistedTokenName name)
        {
            json.WriteString("format", format);
            json.WriteNumber("version", version);
            json.WriteString("check", name.Check);
        }

        /// <summary>
        /// The entry's JSON when it passes every check (the caller disposes it); else null, with the state and the problem.
        /// </summary>
        /// <param name="kind">What the entry is, in words ("token entry").</param>
        /// <param name="writtenFor">Whom an entry under this name is written for, in words ("this provider, credential and scope").</param>
        /// <param name="name">The name it was read under, whose check it must carry; null only to describe an entry (a listing), never to use it.</param>
        public static JsonDocument? Open(string text, string format, int version, string kind, string writtenFor, PersistedTokenName? name,
            out PersistedEntryState state, out string? problem)
        {
            state = PersistedEntryState.Corrupt;
            problem = null;
            if (text.Length > MaxLength)
            {
                problem = $"it is larger than {MaxLength} characters";
                return null;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(text);
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException)
            {
                // ArgumentException: half a UTF-16 pair in the text itself, which cannot be read as UTF-8 at all.
                problem = "it is not JSON (cut short or edited)";
                return null;
            }

            var root = document.RootElement;
            if (!IsText(root))
            {
                problem = "it holds half a UTF-16 surrogate pair, which is no text (edited by hand)";
            }
            else if (root.ValueKind != JsonValueKind.Object || String(root, "format") != format)
            {
                problem = $"it is not a TokenAuth {kind}";
            }
            else if (!root.TryGetProperty("version", out var written) || written.ValueKind != JsonValueKind.Number || !written.TryGetInt32(out var number) || number < 1)
            {
                problem = "its format version is missing or not a number";
            }
            else if (number > version)
            {
                state = PersistedEntryState.FutureVersion;
                problem = $"it has format version {number}, and this TokenAuth reads version {version}";
            }
            else if (name != null && !FixedTimeEquals(String(root, "check"), name.Check))
            {
                state = PersistedEntryState.Foreign;
                problem = $"it was not written for {writtenFor}";
            }
            else
            {
                state = PersistedEntryState.Usable;
                return document;
            }

            document.Dispose();
            return null;
        }

        /// <summary>Whether the text is an entry of this format at all, whatever its version or check: for a listing to tell TokenAuth's kinds apart.</summary>
        public static bool HasFormat(string text, string format)
        {
            if (text.Length > MaxLength)
            {
                return false;
            }

            try
            {
                using var document = JsonDocument.Parse(text);
                return document.RootElement.ValueKind == JsonValueKind.Object && IsText(document.RootElement) && String(document.RootElement, "format") == format;
            }
            catch (Exception ex) when (ex is JsonException or ArgumentException)
            {
                return false;
            }
        }

        /// <summary>
        /// Whether every string in the element, names too, can be read: JSON may escape half a UTF-16 surrogate pair
        /// ("\ud800"), which parses but then throws wherever the string is read. Checked once, so that no reader meets it.
        /// </summary>
        private static bool IsText(JsonElement element)
        {
            try
            {
                ReadEveryString(element);
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        }

        private static void ReadEveryString(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    _ = element.GetString();
                    break;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        _ = property.Name;
                        ReadEveryString(property.Value);
                    }

                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        ReadEveryString(item);
                    }

                    break;
            }
        }

        public static string? String(JsonElement root, string name) =>
            root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

        private static bool FixedTimeEquals(string? left, string right)
        {
            if (left == null || left.Length != right.Length)
            {
                return false;
            }

            var difference = 0;
            for (var i = 0; i < right.Length; i++)
            {
                difference |= left[i] ^ right[i];
            }

            return difference == 0;
        }
    }
}
