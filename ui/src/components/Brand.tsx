/** The product's mark, logo and name: small in the sidebar, large on the sign-in page. */
export function Brand({ size = "sm", className = "" }: { size?: "sm" | "lg"; className?: string }) {
  return (
    <div className={`flex items-center gap-2 ${className}`}>
      <img src="/favicon.svg" alt="" className={size === "lg" ? "size-8" : "size-6"} />
      <span className={`font-semibold tracking-tight ${size === "lg" ? "text-lg" : ""}`}>Flight Control</span>
    </div>
  );
}
