using System;
using System.Collections.Generic;

namespace TokenAuth.Http
{
    /// <summary>Reads RFC 8288 Link headers: <c>&lt;https://api/items?page=2&gt;; rel="next", &lt;…&gt;; rel="last"</c>.</summary>
    internal static class LinkHeader
    {
        /// <summary>The target of the first link whose rel (one of its space-separated values) is "next", or null.</summary>
        public static string? Next(IEnumerable<string> headerValues)
        {
            foreach (var header in headerValues)
            {
                var position = 0;
                while (true)
                {
                    var open = header.IndexOf('<', position);
                    var close = open < 0 ? -1 : header.IndexOf('>', open + 1);
                    if (close < 0)
                    {
                        break;
                    }

                    // The link's parameters run to the next link, which starts with '<' (a URI cannot hold one).
                    var nextOpen = header.IndexOf('<', close + 1);
                    var parameters = header.Substring(close + 1, (nextOpen < 0 ? header.Length : nextOpen) - close - 1);
                    if (HasRelNext(parameters))
                    {
                        return header.Substring(open + 1, close - open - 1).Trim();
                    }

                    position = close + 1;
                }
            }

            return null;
        }

        private static bool HasRelNext(string parameters)
        {
            foreach (var parameter in parameters.Split(';'))
            {
                var equals = parameter.IndexOf('=');
                if (equals < 0 || !parameter.Substring(0, equals).Trim().Equals("rel", StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                var relations = parameter.Substring(equals + 1).Trim().Trim(',').Trim().Trim('"');
                foreach (var relation in relations.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries))
                {
                    if (relation.Equals("next", StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }
                }
            }

            return false;
        }
    }
}
