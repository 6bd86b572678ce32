using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Text.Json;
using TokenAuth.Json;

namespace TokenAuth.Commands
{
    /// <summary>Between the engine's plain values (dictionaries, lists) and PowerShell's objects.</summary>
    internal static class PowerShellValues
    {
        /// <summary>Time until a UTC instant, never negative.</summary>
        public static TimeSpan TimeLeftUntil(DateTime utc)
        {
            var left = utc - DateTime.UtcNow;
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }

        /// <summary>Dictionaries become PSCustomObjects (properties in order), lists become arrays.</summary>
        public static object? FromEngine(object? value) => value switch
        {
            IReadOnlyDictionary<string, object?> map => ToPSObject(map),
            IList<object?> list => list.Select(FromEngine).ToArray(),
            _ => value,
        };

        /// <summary>
        /// A parsed JSON answer as <see cref="FromEngine"/> would make it of the engine's dictionaries, built straight from
        /// the element: one set of objects instead of two. A repeated name keeps its first place and its last value, as there.
        /// </summary>
        public static object? FromJson(JsonElement element)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.Object:
                    var result = new PSObject();
                    foreach (var property in element.EnumerateObject())
                    {
                        result.Properties.Add(new PSNoteProperty(property.Name, FromJson(property.Value)));
                    }

                    return result;
                case JsonValueKind.Array:
                    var items = new object?[element.GetArrayLength()];
                    var index = 0;
                    foreach (var item in element.EnumerateArray())
                    {
                        items[index++] = FromJson(item);
                    }

                    return items;
                default:
                    return JsonValues.ToObject(element);
            }
        }

        private static PSObject ToPSObject(IReadOnlyDictionary<string, object?> map)
        {
            var result = new PSObject();
            foreach (var entry in map)
            {
                result.Properties.Add(new PSNoteProperty(entry.Key, FromEngine(entry.Value)));
            }

            return result;
        }

        /// <summary>Hashtables, PSCustomObjects and lists become what System.Text.Json serialises plainly.</summary>
        public static object? ToEngine(object? value, int depth = 0)
        {
            if (depth > 64)
            {
                throw new ArgumentException("The body nests deeper than 64 levels.");
            }

            var baseObject = value is PSObject wrapped ? wrapped.BaseObject : value;
            switch (baseObject)
            {
                case null:
                    return null;
                case string or bool or DateTime or DateTimeOffset:
                    return baseObject;
                case char or Guid:
                    return baseObject.ToString();
                case Enum:
                    return baseObject.ToString();
                case IDictionary dictionary:
                    var map = new Dictionary<string, object?>();
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        map[entry.Key.ToString() ?? ""] = ToEngine(entry.Value, depth + 1);
                    }

                    return map;
                case IEnumerable sequence:
                    return sequence.Cast<object?>().Select(item => ToEngine(item, depth + 1)).ToList();
            }

            if (baseObject.GetType().IsPrimitive || baseObject is decimal)
            {
                return baseObject;
            }

            var properties = new Dictionary<string, object?>();
            foreach (var property in PSObject.AsPSObject(value!).Properties)
            {
                if (property.IsGettable)
                {
                    properties[property.Name] = ToEngine(property.Value, depth + 1);
                }
            }

            return properties;
        }
    }
}
