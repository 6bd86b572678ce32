using System;
using System.Collections.Generic;
using System.Text;

namespace TokenAuth.Http
{
    /// <summary>Fields added to a URI's query string: the one place that knows where they go and how they are encoded.</summary>
    public static class UriQuery
    {
        /// <summary>
        /// <paramref name="uri"/> with <paramref name="fields"/> after any query it has, each name and value
        /// percent-encoded (a null value is empty) and in the order given; before a fragment, which is no part of the query.
        /// </summary>
        public static string Append(string uri, IEnumerable<KeyValuePair<string, string?>> fields)
        {
            if (uri == null) throw new ArgumentNullException(nameof(uri));
            var fragmentAt = uri.IndexOf('#');
            var beforeFragment = fragmentAt < 0 ? uri : uri.Substring(0, fragmentAt);
            var result = new StringBuilder(beforeFragment);
            // A query that is there already, and not left open by a trailing ? or &, needs an & before the next field.
            var separator = beforeFragment.IndexOf('?') < 0 ? "?" : beforeFragment.EndsWith("?", StringComparison.Ordinal) || beforeFragment.EndsWith("&", StringComparison.Ordinal) ? "" : "&";
            foreach (var field in fields)
            {
                result.Append(separator).Append(Uri.EscapeDataString(field.Key)).Append('=').Append(Uri.EscapeDataString(field.Value ?? ""));
                separator = "&";
            }

            return fragmentAt < 0 ? result.ToString() : result.Append(uri, fragmentAt, uri.Length - fragmentAt).ToString();
        }

        /// <inheritdoc cref="Append(string, IEnumerable{KeyValuePair{string, string}})"/>
        public static Uri Append(Uri uri, IEnumerable<KeyValuePair<string, string?>> fields) =>
            new Uri(Append((uri ?? throw new ArgumentNullException(nameof(uri))).AbsoluteUri, fields));
    }
}
