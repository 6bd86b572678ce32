using System.Collections.Generic;
using System.Globalization;
using System.Text.Json;

namespace TokenAuth.Json
{
    /// <summary>
    /// The one path dialect for every value TokenAuth looks up in JSON, in a token answer or in a parsed page alike:
    /// dotted field names with [n] array indexes ("data.token", "errors[0].detail", "@odata.nextLink").
    /// </summary>
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

        /// <summary>The element at the path; false when any step is missing, of another kind, or null.</summary>
        public static bool TryGet(JsonElement root, string path, out JsonElement value) =>
            TryFind<JsonElement, ElementSteps>(root, path, out value) && value.ValueKind != JsonValueKind.Null && value.ValueKind != JsonValueKind.Undefined;

        /// <summary>The value at the path in what <see cref="JsonValues.ToObject"/> made (a page, a who-am-I answer), or null.</summary>
        public static object? Find(object? value, string path) => TryFind<object?, ObjectSteps>(value, path, out var found) ? found : null;

        /// <summary>
        /// Walks the path. At each object the rest of the path is first tried as one field name, then split at each dot
        /// from the left, so that a field whose own name holds dots ("@odata.nextLink") is found as well as a nested one.
        /// </summary>
        private static bool TryFind<T, TSteps>(T node, string path, out T value)
            where TSteps : struct, ISteps<T>
        {
            if (TryStep<T, TSteps>(node, path, out value))
            {
                return true;
            }

            for (var dot = path.IndexOf('.'); dot > 0; dot = path.IndexOf('.', dot + 1))
            {
                if (TryStep<T, TSteps>(node, path.Substring(0, dot), out var inner) && TryFind<T, TSteps>(inner, path.Substring(dot + 1), out value))
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>One step: a field, or a field followed by [n] indexes ("errors[0]"); a field literally named so wins.</summary>
        private static bool TryStep<T, TSteps>(T node, string step, out T value)
            where TSteps : struct, ISteps<T>
        {
            var steps = default(TSteps);
            if (steps.Field(node, step, out value))
            {
                return true;
            }

            var open = step.IndexOf('[');
            if (open <= 0 || !steps.Field(node, step.Substring(0, open), out value))
            {
                return false;
            }

            while (open < step.Length)
            {
                var close = step.IndexOf(']', open);
                if (step[open] != '[' || close < 0
                    || !int.TryParse(step.Substring(open + 1, close - open - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                    || !steps.Item(value, index, out value))
                {
                    return false;
                }

                open = close + 1;
            }

            return true;
        }

        /// <summary>How a step reads one kind of JSON tree: a struct, so that the walk is specialised for each without allocating.</summary>
        private interface ISteps<T>
        {
            bool Field(T node, string name, out T value);

            bool Item(T node, int index, out T value);
        }

        private readonly struct ElementSteps : ISteps<JsonElement>
        {
            public bool Field(JsonElement node, string name, out JsonElement value)
            {
                value = default;
                return node.ValueKind == JsonValueKind.Object && node.TryGetProperty(name, out value);
            }

            public bool Item(JsonElement node, int index, out JsonElement value)
            {
                var found = node.ValueKind == JsonValueKind.Array && index < node.GetArrayLength();
                value = found ? node[index] : default;
                return found;
            }
        }

        private readonly struct ObjectSteps : ISteps<object?>
        {
            public bool Field(object? node, string name, out object? value)
            {
                value = null;
                return node is IDictionary<string, object?> fields && fields.TryGetValue(name, out value);
            }

            public bool Item(object? node, int index, out object? value)
            {
                var found = node is IList<object?> items && index < items.Count;
                value = found ? ((IList<object?>)node!)[index] : null;
                return found;
            }
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
                JsonValueKind.String => JsonText.String(value),
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

    /// <summary>Makes a caller's own objects of parsed JSON (PowerShell's), with no dictionaries of the engine's between.</summary>
    public interface IJsonObjectBuilder
    {
        object NewObject();

        /// <summary>A name repeated in one object comes again: the builder decides which value stands.</summary>
        void AddProperty(object target, string name, object? value);
    }

    /// <summary>Turns JSON into plain .NET values: dictionaries, lists, strings, long or double, bool and null; or into a builder's objects.</summary>
    public static class JsonValues
    {
        /// <summary>Objects by the builder, arrays as object arrays, scalars as <see cref="ToObject"/> gives them.</summary>
        public static object? Build(JsonElement element, IJsonObjectBuilder builder)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var target = builder.NewObject();
                    foreach (var property in element.EnumerateObject())
                    {
                        builder.AddProperty(target, JsonText.Name(property), Build(property.Value, builder));
                    }

                    return target;
                case JsonValueKind.Array:
                    var items = new object?[element.GetArrayLength()];
                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        items[index++] = Build(item, builder);
                    }

                    return items;
                default:
                    return ToObject(element);
            }
        }

        public static object? ToObject(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var map = new Dictionary<string, object?>(System.StringComparer.Ordinal);
                    foreach (var property in element.EnumerateObject())
                    {
                        map[JsonText.Name(property)] = ToObject(property.Value);
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
                    return JsonText.String(element);
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
