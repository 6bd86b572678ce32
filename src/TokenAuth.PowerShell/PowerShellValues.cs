using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
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
        /// A JSON answer's objects as <see cref="FromEngine"/> would make them of the engine's dictionaries, made straight
        /// from the parsed answer: one set of objects instead of two. A repeated name keeps its first place and its last
        /// value, as there (PowerShell's own rule for a property added twice).
        /// </summary>
        public static readonly IJsonObjectBuilder PSObjects = new PSObjectBuilder();

        private sealed class PSObjectBuilder : IJsonObjectBuilder
        {
            public object NewObject() => new PSObject();

            public void AddProperty(object target, string name, object? value) => ((PSObject)target).Properties.Add(new PSNoteProperty(name, value));
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
