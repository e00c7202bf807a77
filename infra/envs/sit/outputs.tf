output "lakegate" {
  description = "What the workflows and the smoke test need: buckets, job, state machine, roles, alarms."
  value       = module.lakegate
}
