import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  // The web app is a teaching tool: keep React's double-invoked effects in development so
  // hooks that open connections (polling here, EventSource and WebSocket later) prove
  // they clean up after themselves.
  reactStrictMode: true,
  // No "X-Powered-By: Next.js" header: nothing in the protocol lessons needs it.
  poweredByHeader: false,
};

export default nextConfig;
