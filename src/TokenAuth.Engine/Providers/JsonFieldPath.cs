using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace TokenAuth.Providers
{
    /// <summary>Reads a value at a dotted path with [n] array indexes ("data.token", "errors[0].detail").</summary>
    internal static class JsonFieldPath
    {
        public static bool IsValid(string path)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                return false;
            }

            foreach (var segment in path.Split('.'))
            {
                var name = segment;
                var bracket = name.IndexOf('[');
                if (bracket >= 0)
                {
                    if (!name.EndsWith("]", System.StringComparison.Ordinal)
                        || !int.TryParse(name.Substring(bracket + 1, name.Length - bracket - 2), NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    {
                        return false;
                    }

                    name = name.Substring(0, bracket);
                }

                if (name.Length == 0)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>The element at the path; false when any step is missing or of another kind.</summary>
        public static bool TryGet(JsonElement root, string path, out JsonElement value)
        {
            value = root;
            foreach (var segment in path.Split('.'))
            {
                var name = segment;
                var index = -1;
                var bracket = segment.IndexOf('[');
                if (bracket >= 0)
                {
                    name = segment.Substring(0, bracket);
                    index = int.Parse(segment.Substring(bracket + 1, segment.Length - bracket - 2), CultureInfo.InvariantCulture);
                }

                if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out value))
                {
                    return false;
                }

                if (index >= 0)
                {
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() <= index)
                    {
                        return false;
                    }

                    value = value[index];
                }
            }

            return value.ValueKind != JsonValueKind.Null && value.ValueKind != JsonValueKind.Undefined;
        }

        /// <summary>A string or number at the path, as text; null when absent or not a scalar.</summary>
        public static string? GetScalarText(JsonElement root, string path)
        {
            if (!TryGet(root, path, out var value))
            {
                return null;
            }

            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => null,
            };
        }

        public static string? FirstScalarText(JsonElement root, IEnumerable<string> paths)
        {
            foreach (var path in paths)
            {
                var text = GetScalarText(root, path);
                if (!string.IsNullOrEmpty(text))
                {
                    return text;
                }
            }

            return null;
        }
    }

    /// <summary>Turns JSON into plain .NET values: dictionaries, lists, strings, long or double, bool and null.</summary>
    public static class JsonValues
    {
        /// <summary>
        /// The value at a dotted path of object fields in what <see cref="ToObject"/> made ("data", "links.next"), or
        /// null. A field whose own name holds dots ("@odata.nextLink") is found too: whole names are tried first.
        /// </summary>
        public static object? Find(object? value, string path)
        {
            if (value is not IDictionary<string, object?> fields)
            {
                return null;
            }

            if (fields.TryGetValue(path, out var whole))
            {
                return whole;
            }

            for (var dot = path.IndexOf('.'); dot > 0; dot = path.IndexOf('.', dot + 1))
            {
                if (fields.TryGetValue(path.Substring(0, dot), out var inner) && Find(inner, path.Substring(dot + 1)) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        public static object? ToObject(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var map = new Dictionary<string, object?>(System.StringComparer.Ordinal);
                    foreach (var property in element.EnumerateObject())
                    {
                        map[property.Name] = ToObject(property.Value);
                    }

                    return map;
                case JsonValueKind.Array:
                    var list = new List<object?>(element.GetArrayLength());
                    foreach (var item in element.EnumerateArray())
                    {
                        list.Add(ToObject(item));
                    }

                    return list;
                case JsonValueKind.String:
                    return element.GetString();
                case JsonValueKind.Number:
                    // Not "?:", which would make every whole number a double.
                    if (element.TryGetInt64(out var whole))
                    {
                        return whole;
                    }

                    return element.GetDouble();
                case JsonValueKind.True:
                    return true;
                case JsonValueKind.False:
                    return false;
                default:
                    return null;
            }
        }
    }
}
