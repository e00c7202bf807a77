variable "code_version" {
  description = "Build the Glue job runs, e.g. 1.2.0+g1a2b3c4. The deploy workflow passes the build it uploaded (-var code_version=...)."
  type        = string
}
