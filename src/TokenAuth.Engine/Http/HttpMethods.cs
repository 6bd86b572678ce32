using System;
using System.Net.Http;

namespace TokenAuth.Http
{
    internal static class HttpMethods
    {
        // netstandard2.0 has no HttpMethod.Patch.
        private static readonly HttpMethod Patch = new HttpMethod("PATCH");

        /// <summary>The shared instance for a standard method, so that requests do not each make one.</summary>
        public static HttpMethod For(string method) => method switch
        {
            "GET" => HttpMethod.Get,
            "POST" => HttpMethod.Post,
            "PUT" => HttpMethod.Put,
            "DELETE" => HttpMethod.Delete,
            "HEAD" => HttpMethod.Head,
            "OPTIONS" => HttpMethod.Options,
            "TRACE" => HttpMethod.Trace,
            "PATCH" => Patch,
            _ => new HttpMethod(method),
        };
    }
}
